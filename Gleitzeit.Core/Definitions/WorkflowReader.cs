using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Batch;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Definitions;

/// <summary>
/// Turns a YAML tree into a <see cref="Workflow"/>: reads every form of the original format, expands batch forms,
/// validates, and places each problem at its line and column.
/// </summary>
internal sealed class WorkflowReader(string? source, string? baseDirectory, string? defaultName)
{
    internal static readonly string[] TopLevelKeys =
        ["name", "description", "version", "timeout", "max_concurrency", "inputs", "tasks", "type", "batch", "template", "protocol", "wait_for_completion", "metadata"];

    internal static readonly string[] TaskKeys =
        ["id", "name", "description", "method", "protocol", "params", "parameters", "dependencies", "depends_on", "priority", "timeout", "retry", "provider", "server", "metadata"];

    internal static readonly string[] RetryKeys =
        ["max_attempts", "delay", "base_delay", "initial_delay", "backoff", "backoff_factor", "max_delay", "jitter"];

    private static readonly string[] BatchKeys = ["directory", "pattern", "files"];

    /// <summary>Template keys that are task settings; every other key of a template is a parameter.</summary>
    private static readonly string[] TemplateTaskKeys = ["id", "name", "method", "protocol", "params", "parameters", "priority", "retry", "provider", "server"];

    /// <summary>Parameters that drive <c>batch_mode</c> expansion and are removed from the expanded tasks.</summary>
    private static readonly string[] BatchModeParams = ["batch_mode", "files", "image_paths", "directory", "file_pattern"];

    private readonly List<ValidationError> _errors = [];
    private readonly Dictionary<string, List<TaskSource>> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _expanded = new(StringComparer.Ordinal);
    private YMapping? _root;

    public Workflow Read(YNode? root, ProviderRegistry? registry)
    {
        if (root is null)
        {
            Error(GleitzeitErrorCode.WorkflowValidationFailed, "the workflow is empty: it needs at least 'name:' and a 'tasks:' list", new YScalar("", YamlDotNet.Core.ScalarStyle.Plain, null, 1, 1));
            throw Failed();
        }
        if (root is not YMapping map)
        {
            Error(GleitzeitErrorCode.WorkflowValidationFailed, $"a workflow is a mapping with 'name:' and 'tasks:', not {root.Kind}", root);
            throw Failed();
        }
        _root = map;
        CheckKeys(map, TopLevelKeys, "workflow", GleitzeitErrorCode.WorkflowValidationFailed, null);

        var name = OptionalString(map, "name", null) ?? defaultName ?? "workflow";
        var description = OptionalString(map, "description", null);
        var version = OptionalString(map, "version", null);
        var timeout = Seconds(map.Get("timeout"), "timeout", null);
        var maxConcurrency = Integer(map.Get("max_concurrency"), "max_concurrency", null);
        var inputs = ReadInputs(map.Get("inputs"));
        var type = OptionalString(map, "type", null);
        var defaultProtocol = OptionalString(map, "protocol", null);

        var drafts = new List<TaskDraft>();
        var tasksNode = map.Get("tasks");
        var isBatch = string.Equals(type, "batch", StringComparison.OrdinalIgnoreCase) || map.Get("batch") is not null || map.Get("template") is not null;
        switch (tasksNode)
        {
            case null when !isBatch:
                Error(GleitzeitErrorCode.WorkflowValidationFailed, "the workflow has no 'tasks:': add a list of tasks, each with 'id:' and 'method:'", map);
                break;
            case null:
                break;
            case YScalar s when s.IsNull && !isBatch:
                Error(GleitzeitErrorCode.WorkflowValidationFailed, "'tasks:' is empty: add at least one task with 'id:' and 'method:'", s, field: "tasks");
                break;
            case YScalar s when s.IsNull:
                break;
            case YSequence seq:
                if (seq.Items.Count == 0 && !isBatch)
                {
                    Error(GleitzeitErrorCode.WorkflowValidationFailed, "'tasks:' is empty: add at least one task with 'id:' and 'method:'", seq);
                }
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    if (ReadTask(seq.Items[i], i) is { } draft) drafts.Add(draft);
                }
                break;
            default:
                Error(GleitzeitErrorCode.WorkflowValidationFailed, $"'tasks' must be a list of tasks, got {tasksNode.Kind}", tasksNode);
                break;
        }
        if (isBatch) ReadBatchForm(map, defaultProtocol, drafts);

        var tasks = _errors.Count == 0 ? Expand(drafts) : [];
        if (_errors.Count > 0) throw Failed();

        var workflow = new Workflow
        {
            Name = name,
            Description = description,
            Version = version,
            Timeout = timeout,
            MaxConcurrency = maxConcurrency,
            Inputs = inputs,
            BaseDirectory = baseDirectory,
            Tasks = tasks,
        };
        var problems = WorkflowValidator.Validate(workflow, registry);
        if (problems.Count > 0)
        {
            var occurrence = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var p in problems) _errors.Add(p with { Location = Locate(p, occurrence), Message = ExplainExpanded(p.Message) });
            throw Failed();
        }
        return workflow;
    }

    private WorkflowValidationException Failed() => new(_errors.ToList(), source);

    // ---------------------------------------------------------------- tasks

    private sealed class TaskDraft
    {
        public required string Id { get; init; }
        public string? Name { get; init; }
        public required string Method { get; init; }
        public string? Protocol { get; init; }
        public required JsonObject Parameters { get; init; }
        public List<(string Id, YNode Node)> Dependencies { get; } = [];
        public int Priority { get; init; } = TaskPriority.Normal;
        public TimeSpan? Timeout { get; init; }
        public RetryPolicy? Retry { get; init; }
        public string? Provider { get; init; }
        public required TaskSource Source { get; init; }

        /// <summary>Files this task expands into (batch forms), in order; null for an ordinary task.</summary>
        public List<string>? BatchFiles { get; set; }
    }

    /// <summary>Where a task's pieces are in the YAML, for placing validation errors.</summary>
    private sealed class TaskSource(YNode node)
    {
        public YNode Node { get; } = node;
        public Dictionary<string, YNode> Fields { get; } = new(StringComparer.Ordinal);
        public List<YNode> DependencyNodes { get; } = [];
    }

    private TaskDraft? ReadTask(YNode node, int index)
    {
        if (node is not YMapping task)
        {
            Error(GleitzeitErrorCode.TaskValidationFailed, $"task #{index + 1} must be a mapping with 'id:' and 'method:', got {node.Kind}", node);
            return null;
        }
        var before = _errors.Count;
        var idNode = task.Get("id");
        var nameNode = task.Get("name");
        var label = (idNode as YScalar)?.Value ?? (nameNode as YScalar)?.Value;
        var id = OptionalString(task, "id", label) ?? OptionalString(task, "name", label);
        var name = idNode is null ? null : OptionalString(task, "name", label);
        if (id is null || id.Trim().Length == 0)
        {
            Error(GleitzeitErrorCode.TaskValidationFailed, $"task #{index + 1} has no id: give it 'id:' (or 'name:')", idNode ?? task, label, "id");
            id = null;
        }
        label = id ?? $"#{index + 1}";
        CheckKeys(task, TaskKeys, $"task '{label}'", GleitzeitErrorCode.TaskValidationFailed, label);
        OptionalString(task, "description", label);
        Both(task, "params", "parameters", label);
        Both(task, "dependencies", "depends_on", label);
        Both(task, "provider", "server", label);

        var method = OptionalString(task, "method", label);
        if (method is null || method.Trim().Length == 0)
        {
            Error(GleitzeitErrorCode.TaskValidationFailed, "the task has no method: add e.g. 'method: llm/chat'", task.Get("method") ?? task, label, "method");
        }
        var protocol = OptionalString(task, "protocol", label);
        var paramsNode = task.Get("params") ?? task.Get("parameters");
        var parameters = Parameters(paramsNode, label);
        var priority = Priority(task.Get("priority"), label);
        var timeout = Seconds(task.Get("timeout"), "timeout", label);
        var retry = Retry(task.Get("retry"), label);
        var provider = OptionalString(task, "provider", label) ?? OptionalString(task, "server", label);

        var sourceInfo = new TaskSource(task);
        foreach (var (k, v) in task.Entries)
        {
            var field = k.Value switch { "params" => "parameters", "depends_on" => "dependencies", "server" => "provider", "name" when idNode is null => "id", _ => k.Value };
            sourceInfo.Fields[field] = v;
        }

        var dependencies = new List<(string, YNode)>();
        var depsNode = task.Get("dependencies") ?? task.Get("depends_on");
        switch (depsNode)
        {
            case null:
                break;
            case YScalar s when s.IsNull:
                break;
            case YScalar s when YamlScalars.ToJson(s) is JsonValue one && one.GetValueKind() == System.Text.Json.JsonValueKind.String:
                dependencies.Add((s.Value, s));
                break;
            case YSequence seq:
                foreach (var item in seq.Items)
                {
                    if (item is YScalar dep && !dep.IsNull) dependencies.Add((dep.Value, dep));
                    else Error(GleitzeitErrorCode.TaskValidationFailed, $"each dependency is a task id, got {item.Kind}", item, label, "dependencies");
                }
                break;
            default:
                Error(GleitzeitErrorCode.TaskValidationFailed, $"'dependencies' must be a list of task ids, got {depsNode.Kind}", depsNode, label, "dependencies");
                break;
        }

        if (_errors.Count > before || id is null || method is null || parameters is null) return null;
        var draft = new TaskDraft
        {
            Id = id,
            Name = name,
            Method = method,
            Protocol = protocol,
            Parameters = parameters,
            Priority = priority,
            Timeout = timeout,
            Retry = retry,
            Provider = provider,
            Source = sourceInfo,
        };
        draft.Dependencies.AddRange(dependencies);
        ReadBatchMode(draft, paramsNode as YMapping);
        return draft;
    }

    private JsonObject? Parameters(YNode? node, string label)
    {
        switch (node)
        {
            case null:
                return [];
            case YScalar s when s.IsNull:
                return [];
            case YMapping m:
                return YamlScalars.ToObject(m);
            default:
                Error(GleitzeitErrorCode.TaskValidationFailed, $"'params' must be a mapping of parameter names to values, got {node.Kind}", node, label, "parameters");
                return null;
        }
    }

    private int Priority(YNode? node, string label)
    {
        if (node is null || node is YScalar { IsNull: true }) return TaskPriority.Normal;
        if (node is YScalar s && TaskPriority.TryParse(s.Value, out var p)) return p;
        Error(GleitzeitErrorCode.TaskValidationFailed,
            $"priority must be low, normal, high, urgent or an integer, got {Show(node)}", node, label, "priority");
        return TaskPriority.Normal;
    }

    private RetryPolicy? Retry(YNode? node, string label)
    {
        switch (node)
        {
            case null:
                return null;
            case YScalar s when s.IsNull:
                return null;
            case YScalar s when YamlScalars.ToJson(s) is JsonValue v && v.TryGetValue<long>(out var attempts):
                return new RetryPolicy { MaxAttempts = (int)Math.Clamp(attempts, int.MinValue, int.MaxValue) };
            case YMapping m:
                CheckKeys(m, RetryKeys, "retry", GleitzeitErrorCode.TaskValidationFailed, label);
                var defaults = new RetryPolicy();
                var max = Integer(m.Get("max_attempts"), "retry.max_attempts", label) ?? defaults.MaxAttempts;
                var delay = Seconds(m.Get("delay") ?? m.Get("base_delay") ?? m.Get("initial_delay"), "retry.delay", label, allowZero: true) ?? defaults.InitialDelay;
                var maxDelay = Seconds(m.Get("max_delay"), "retry.max_delay", label, allowZero: true) ?? defaults.MaxDelay;
                var backoff = Backoff(m.Get("backoff") ?? m.Get("backoff_factor"), label) ?? defaults.BackoffFactor;
                var jitter = Bool(m.Get("jitter"), "retry.jitter", label) ?? defaults.Jitter;
                return new RetryPolicy { MaxAttempts = max, InitialDelay = delay, MaxDelay = maxDelay, BackoffFactor = backoff, Jitter = jitter };
            default:
                Error(GleitzeitErrorCode.TaskValidationFailed, $"'retry' must be a mapping (max_attempts, delay, backoff, max_delay, jitter), got {node.Kind}", node, label, "retry");
                return null;
        }
    }

    private double? Backoff(YNode? node, string label)
    {
        if (node is null || node is YScalar { IsNull: true }) return null;
        if (node is YScalar s)
        {
            switch (s.Value.Trim().ToLowerInvariant())
            {
                case "exponential": return 2.0;
                case "fixed" or "constant" or "none": return 1.0;
            }
            if (NumberOf(s) is { } d) return d;
        }
        Error(GleitzeitErrorCode.TaskValidationFailed, $"retry.backoff must be a factor ≥ 1 (e.g. 2) or 'exponential' / 'fixed', got {Show(node)}", node, label, "retry");
        return null;
    }

    // ---------------------------------------------------------------- batch forms

    /// <summary><c>batch_mode: true</c> in a task's params: one task per file of <c>files</c>, <c>image_paths</c> or <c>directory</c> + <c>file_pattern</c>.</summary>
    private void ReadBatchMode(TaskDraft draft, YMapping? paramsNode)
    {
        var p = draft.Parameters;
        if (!p.TryGetPropertyValue("batch_mode", out var flag)) return;
        var flagNode = paramsNode?.Get("batch_mode");
        if (flag is not JsonValue fv || !fv.TryGetValue<bool>(out var on))
        {
            Error(GleitzeitErrorCode.TaskValidationFailed, $"batch_mode must be true or false, got {Show(flagNode)}", flagNode, draft.Id, "parameters.batch_mode");
            return;
        }
        if (!on)
        {
            p.Remove("batch_mode");
            return;
        }
        List<string>? files = null;
        foreach (var key in (string[])["files", "image_paths"])
        {
            if (!p.TryGetPropertyValue(key, out var list)) continue;
            var listNode = paramsNode?.Get(key);
            files = StringList(list, listNode, $"parameters.{key}", draft.Id);
            if (files is null) return;
            break;
        }
        if (files is null && p.TryGetPropertyValue("directory", out var dir))
        {
            var dirNode = paramsNode?.Get("directory");
            if (dir is not JsonValue dv || !dv.TryGetValue<string>(out var directory))
            {
                Error(GleitzeitErrorCode.TaskValidationFailed, $"'directory' must be a path, got {Show(dirNode)}", dirNode, draft.Id, "parameters.directory");
                return;
            }
            var patternNode = paramsNode?.Get("file_pattern");
            var pattern = p["file_pattern"] is JsonValue pv && pv.TryGetValue<string>(out var pat) ? pat : "*";
            files = Scan(directory, pattern, dirNode, patternNode, draft.Id, "parameters.directory");
            if (files is null) return;
        }
        if (files is null)
        {
            Error(GleitzeitErrorCode.TaskValidationFailed,
                "batch_mode: true needs the files to process: add 'files:' (text files), 'image_paths:' (images), or 'directory:' with 'file_pattern:'",
                flagNode, draft.Id, "parameters.batch_mode");
            return;
        }
        if (files.Count == 0)
        {
            Error(GleitzeitErrorCode.TaskValidationFailed, "batch_mode: true with an empty file list: list at least one file", flagNode, draft.Id, "parameters.batch_mode");
            return;
        }
        foreach (var key in BatchModeParams) p.Remove(key);
        draft.BatchFiles = files;
    }

    /// <summary><c>type: batch</c> with <c>batch: {directory, pattern}</c> and a <c>template:</c>: one task per file found.</summary>
    private void ReadBatchForm(YMapping map, string? defaultProtocol, List<TaskDraft> drafts)
    {
        var batchNode = map.Get("batch");
        var templateNode = map.Get("template");
        if (batchNode is not YMapping)
        {
            Error(GleitzeitErrorCode.WorkflowValidationFailed,
                batchNode is null ? "a batch workflow needs 'batch:' with 'directory:' and 'pattern:' (or 'files:')" : $"'batch' must be a mapping with 'directory:' and 'pattern:', got {batchNode.Kind}",
                batchNode ?? map, field: "batch");
        }
        if (templateNode is not YMapping template)
        {
            Error(GleitzeitErrorCode.WorkflowValidationFailed,
                templateNode is null ? "a batch workflow needs 'template:' with at least 'method:' (and the parameters each task gets)" : $"'template' must be a mapping, got {templateNode.Kind}",
                templateNode ?? map, field: "template");
            return;
        }
        if (batchNode is not YMapping b) return;
        CheckKeys(b, BatchKeys, "batch", GleitzeitErrorCode.WorkflowValidationFailed, null);

        var baseId = OptionalString(template, "id", null) ?? OptionalString(template, "name", null) ?? "batch";
        var method = OptionalString(template, "method", null);
        if (method is null || method.Trim().Length == 0)
        {
            Error(GleitzeitErrorCode.WorkflowValidationFailed, "the batch template has no method: add e.g. 'method: llm/chat'", template.Get("method") ?? template, field: "template.method");
            return;
        }
        var parameters = new JsonObject();
        foreach (var (k, v) in template.Entries)
        {
            if (Array.IndexOf(TemplateTaskKeys, k.Value) < 0) parameters[k.Value] = YamlScalars.ToJson(v);
        }
        var explicitParams = template.Get("params") ?? template.Get("parameters");
        if (Parameters(explicitParams, baseId) is { } extra)
        {
            foreach (var (k, v) in extra) parameters[k] = v?.DeepClone();
        }

        List<string>? files;
        if (b.Get("files") is { } filesNode)
        {
            files = StringList(YamlScalars.ToJson(filesNode), filesNode, "batch.files", null);
        }
        else
        {
            var dirNode = b.Get("directory");
            var directory = OptionalString(b, "directory", null);
            if (directory is null)
            {
                Error(GleitzeitErrorCode.WorkflowValidationFailed, "'batch' needs 'directory:' (and 'pattern:', default '*') or 'files:'", b, field: "batch");
                return;
            }
            var pattern = OptionalString(b, "pattern", null) ?? "*";
            files = Scan(directory, pattern, dirNode, b.Get("pattern"), null, "batch.directory");
        }
        if (files is null) return;
        if (files.Count == 0)
        {
            Error(GleitzeitErrorCode.WorkflowValidationFailed, "'batch.files' is empty: list at least one file", b.Get("files") ?? b, field: "batch.files");
            return;
        }

        var source = new TaskSource(template);
        foreach (var (k, v) in template.Entries) source.Fields[k.Value is "params" ? "parameters" : k.Value] = v;
        source.Fields["parameters"] = explicitParams ?? template;
        var label = baseId;
        var provider = OptionalString(template, "provider", label) ?? OptionalString(template, "server", label);
        drafts.Add(new TaskDraft
        {
            Id = baseId,
            Name = OptionalString(template, "name", label) is { } n && template.Get("id") is not null ? n : null,
            Method = method,
            Protocol = OptionalString(template, "protocol", label) ?? defaultProtocol,
            Parameters = parameters,
            Priority = Priority(template.Get("priority"), label),
            Retry = Retry(template.Get("retry"), label),
            Provider = provider,
            Source = source,
            BatchFiles = files,
        });
    }

    private List<string>? Scan(string directory, string pattern, YNode? dirNode, YNode? patternNode, string? taskId, string field)
    {
        var root = Path.IsPathRooted(directory) ? directory : Path.Combine(baseDirectory ?? Directory.GetCurrentDirectory(), directory);
        IReadOnlyList<string> found;
        try
        {
            found = BatchFiles.Scan(root, pattern);
        }
        catch (DirectoryNotFoundException)
        {
            var relativeTo = Path.IsPathRooted(directory) ? "" : $" (relative paths resolve against the base directory {baseDirectory ?? Directory.GetCurrentDirectory()})";
            Error(taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed,
                $"batch directory '{directory}' does not exist: looked for {Path.GetFullPath(root)}{relativeTo}", dirNode, taskId, field);
            return null;
        }
        if (found.Count == 0)
        {
            Error(taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed,
                $"no file in '{directory}' matches '{pattern}' (* and ? match within one folder, **/ any folders below)", patternNode ?? dirNode, taskId, field);
            return null;
        }
        // Paths as the workflow wrote them: relative to the base directory when the directory was relative.
        var full = Path.GetFullPath(root);
        return found.Select(f => Path.IsPathRooted(directory) ? f : JoinRelative(directory, Path.GetRelativePath(full, f))).ToList();
    }

    private static string JoinRelative(string directory, string relative)
    {
        var dir = directory.Replace('\\', '/').TrimEnd('/');
        var rel = relative.Replace('\\', '/');
        return dir.Length == 0 || dir == "." ? rel : dir + "/" + rel;
    }

    private List<string>? StringList(JsonNode? list, YNode? node, string field, string? taskId)
    {
        var result = new List<string>();
        switch (list)
        {
            case JsonValue v when v.TryGetValue<string>(out var one):
                result.Add(one);
                return result;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue item && item.TryGetValue<string>(out var s) && s.Length > 0) result.Add(s);
                    else
                    {
                        var itemNode = node is YSequence seq && i < seq.Items.Count ? seq.Items[i] : node;
                        Error(taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed,
                            $"each entry of '{field}' must be a file path, got {Show(itemNode)}", itemNode, taskId, field);
                        return null;
                    }
                }
                return result;
            default:
                Error(taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed,
                    $"'{field}' must be a list of file paths, got {node?.Kind ?? "nothing"}", node, taskId, field);
                return null;
        }
    }

    /// <summary>
    /// Ordinary tasks stay as they are. A batch task <c>x</c> becomes <c>x_1</c>, <c>x_2</c>, ... (files in order), each
    /// with its file in <c>image_path</c> (llm/vision), <c>context.file_path</c> (python/execute) or <c>file_path</c>;
    /// a dependency on <c>x</c> means all of them.
    /// </summary>
    private List<WorkflowTask> Expand(List<TaskDraft> drafts)
    {
        var expanded = _expanded;
        foreach (var d in drafts)
        {
            if (d.BatchFiles is { } files) expanded[d.Id] = Enumerable.Range(1, files.Count).Select(n => $"{d.Id}_{n}").ToList();
        }
        var tasks = new List<WorkflowTask>();
        foreach (var d in drafts)
        {
            var deps = new List<string>();
            var depNodes = new List<YNode>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (dep, node) in d.Dependencies)
            {
                // A repeated dependency (also one repeated through an expansion) counts once.
                foreach (var e in expanded.TryGetValue(dep, out var all) ? all : [dep])
                {
                    if (!seen.Add(e)) continue;
                    deps.Add(e);
                    depNodes.Add(node);
                }
            }
            if (d.BatchFiles is null)
            {
                tasks.Add(Make(d, d.Id, d.Name, d.Parameters, deps, depNodes));
                continue;
            }
            for (var i = 0; i < d.BatchFiles.Count; i++)
            {
                var file = d.BatchFiles[i];
                var p = BatchTaskParameters.ForFile(d.Method, d.Parameters, file);
                FillFilePlaceholders(p, file);
                var name = $"{d.Name ?? d.Id} ({Path.GetFileName(file)})";
                tasks.Add(Make(d, expanded[d.Id][i], name, p, deps, depNodes));
            }
        }
        return tasks;
    }

    private WorkflowTask Make(TaskDraft d, string id, string? name, JsonObject parameters, List<string> deps, List<YNode> depNodes)
    {
        var source = new TaskSource(d.Source.Node);
        foreach (var (k, v) in d.Source.Fields) source.Fields[k] = v;
        source.DependencyNodes.AddRange(depNodes);
        if (!_sources.TryGetValue(id, out var list)) _sources[id] = list = [];
        list.Add(source);
        return new WorkflowTask
        {
            Id = id,
            Name = name,
            Method = d.Method,
            Protocol = d.Protocol ?? MethodNames.InferProtocol(d.Method) ?? "",
            Parameters = parameters,
            Dependencies = deps.ToList(),
            Priority = d.Priority,
            Timeout = d.Timeout,
            Retry = d.Retry,
            Provider = d.Provider,
        };
    }

    private static readonly System.Text.RegularExpressions.Regex FilePlaceholder =
        new(@"(?<!\$)\$\{\s*(file_path|file_name)\s*\}", System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>In an expanded task, <c>${file_path}</c> and <c>${file_name}</c> inside string parameters are the task's file (as the original's batch comments promise).</summary>
    private static void FillFilePlaceholders(JsonNode? node, string file)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (o[key] is JsonValue v && v.TryGetValue<string>(out var text)) o[key] = Fill(text, file);
                    else FillFilePlaceholders(o[key], file);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.TryGetValue<string>(out var text)) a[i] = Fill(text, file);
                    else FillFilePlaceholders(a[i], file);
                }
                break;
        }
    }

    private static string Fill(string text, string file) =>
        !text.Contains("${", StringComparison.Ordinal) ? text
        : FilePlaceholder.Replace(text, m => m.Groups[1].Value == "file_path" ? file : Path.GetFileName(file));

    /// <summary>A reference to a batch task by its original id cannot work: say what it became.</summary>
    private string ExplainExpanded(string message)
    {
        foreach (var (id, ids) in _expanded)
        {
            if (message.Contains($"unknown task '{id}'", StringComparison.Ordinal))
            {
                return message + $"; batch task '{id}' was expanded into one task per file ({ids[0]} ... {ids[^1]}): refer to one of those";
            }
        }
        return message;
    }

    // ---------------------------------------------------------------- scalars and shapes

    private Dictionary<string, JsonNode?> ReadInputs(YNode? node)
    {
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        switch (node)
        {
            case null:
                break;
            case YScalar s when s.IsNull:
                break;
            case YMapping m:
                foreach (var (k, v) in m.Entries) inputs[k.Value] = YamlScalars.ToJson(v);
                break;
            default:
                Error(GleitzeitErrorCode.WorkflowValidationFailed, $"'inputs' must be a mapping of input names to default values, got {node.Kind}", node, field: "inputs");
                break;
        }
        return inputs;
    }

    private string? OptionalString(YMapping map, string key, string? taskId)
    {
        var node = map.Get(key);
        switch (node)
        {
            case null:
                return null;
            case YScalar s when s.IsNull:
                return null;
            case YScalar s:
                return s.Value;
            default:
                Error(taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed,
                    $"'{key}' must be text, got {node.Kind}", node, taskId, key);
                return null;
        }
    }

    private TimeSpan? Seconds(YNode? node, string field, string? taskId, bool allowZero = false)
    {
        if (node is null || node is YScalar { IsNull: true }) return null;
        if (node is YScalar s && NumberOf(s) is { } seconds && double.IsFinite(seconds))
        {
            if (seconds < 0 || (!allowZero && seconds == 0) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                Error(Code(taskId), $"'{field}' must be a {(allowZero ? "non-negative" : "positive")} number of seconds, got {s.Value}", node, taskId, field);
                return null;
            }
            return TimeSpan.FromSeconds(seconds);
        }
        Error(Code(taskId), $"'{field}' must be a number of seconds, got {Show(node)}", node, taskId, field);
        return null;
    }

    private int? Integer(YNode? node, string field, string? taskId)
    {
        if (node is null || node is YScalar { IsNull: true }) return null;
        if (node is YScalar s && NumberOf(s) is { } n && n == Math.Floor(n) && n is >= int.MinValue and <= int.MaxValue) return (int)n;
        Error(Code(taskId), $"'{field}' must be a whole number, got {Show(node)}", node, taskId, field);
        return null;
    }

    private bool? Bool(YNode? node, string field, string? taskId)
    {
        if (node is null || node is YScalar { IsNull: true }) return null;
        if (node is YScalar s && YamlScalars.ParseBool(s.Value) is { } b) return b;
        Error(Code(taskId), $"'{field}' must be true or false, got {Show(node)}", node, taskId, field);
        return null;
    }

    /// <summary>A number, also from quoted text such as <c>"30"</c> (the original coerced those).</summary>
    private static double? NumberOf(YScalar s) => YamlScalars.ToDouble(YamlScalars.ParseNumber(s.Value.Trim()));

    private static GleitzeitErrorCode Code(string? taskId) => taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed;

    private static string Show(YNode? node) => node switch
    {
        null => "nothing",
        YScalar { IsNull: true } => "null",
        YScalar s => $"'{(s.Value.Length > 40 ? s.Value[..40] + "…" : s.Value)}'",
        _ => node.Kind,
    };

    private void Both(YMapping map, string a, string b, string? taskId)
    {
        if (map.GetKey(a) is null || map.GetKey(b) is not { } second) return;
        Error(Code(taskId), $"both '{a}' and '{b}' are given: they mean the same, keep one", second, taskId, a);
    }

    private void CheckKeys(YMapping map, string[] known, string what, GleitzeitErrorCode code, string? taskId)
    {
        foreach (var (key, _) in map.Entries)
        {
            if (Array.IndexOf(known, key.Value) >= 0) continue;
            var hint = Suggest(key.Value, known) is { } s ? $"did you mean '{s}'?" : "known keys: " + string.Join(", ", known);
            Error(code, $"unknown key '{key.Value}' in {what}: {hint}", key, taskId, key.Value);
        }
    }

    internal static string? Suggest(string name, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var k in known)
        {
            var d = Spelling.Distance(name.ToLowerInvariant(), k);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = k;
            }
        }
        if (best is not null && (bestDistance <= Math.Max(2, name.Length / 3) || best.StartsWith(name, StringComparison.OrdinalIgnoreCase) || name.StartsWith(best, StringComparison.OrdinalIgnoreCase)))
        {
            return best;
        }
        return null;
    }

    private void Error(GleitzeitErrorCode code, string message, YNode? at, string? taskId = null, string? field = null) =>
        _errors.Add(new ValidationError(code, message, taskId, field, at is null ? null : new SourceLocation(source, at.Line, at.Column)));

    // ---------------------------------------------------------------- placing validator errors

    private SourceLocation? Locate(ValidationError error, Dictionary<string, int> occurrence)
    {
        var node = LocateNode(error, occurrence);
        return node is null ? null : new SourceLocation(source, node.Line, node.Column);
    }

    private YNode? LocateNode(ValidationError error, Dictionary<string, int> occurrence)
    {
        if (error.TaskId is null || !_sources.TryGetValue(error.TaskId, out var list))
        {
            if (_root is null) return null;
            var top = error.Field is null ? null : _root.Get(error.Field.Split('.')[0]);
            return top ?? _root;
        }
        var index = 0;
        if (error.Code == GleitzeitErrorCode.TaskAlreadyExists)
        {
            // The first occurrence is fine; each duplicate error points at the next one.
            index = occurrence[error.TaskId] = occurrence.GetValueOrDefault(error.TaskId) + 1;
        }
        var src = list[Math.Min(index, list.Count - 1)];
        var field = error.Field;
        if (field is null) return src.Node;
        if (field.StartsWith("dependencies[", StringComparison.Ordinal)
            && int.TryParse(field.AsSpan(13, field.Length - 14), NumberStyles.Integer, CultureInfo.InvariantCulture, out var dep))
        {
            return dep < src.DependencyNodes.Count ? src.DependencyNodes[dep] : src.Fields.GetValueOrDefault("dependencies") ?? src.Node;
        }
        if (field.StartsWith("parameters", StringComparison.Ordinal))
        {
            var paramsNode = src.Fields.GetValueOrDefault("parameters");
            if (paramsNode is null) return src.Node;
            return field.Length > "parameters.".Length ? Navigate(paramsNode, field["parameters.".Length..]) ?? paramsNode : paramsNode;
        }
        var name = field.Split('.', '[')[0];
        return src.Fields.GetValueOrDefault(name) ?? src.Node;
    }

    /// <summary>Follows a parameter path such as <c>messages[0].content</c> into the YAML; null when it leads nowhere.</summary>
    private static YNode? Navigate(YNode node, string path)
    {
        var current = node;
        var i = 0;
        while (i < path.Length && current is not null)
        {
            if (path[i] == '.')
            {
                i++;
                continue;
            }
            if (path[i] == '[')
            {
                var close = path.IndexOf(']', i);
                if (close < 0 || !int.TryParse(path.AsSpan(i + 1, close - i - 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) return null;
                current = current is YSequence seq && n < seq.Items.Count ? seq.Items[n] : null;
                i = close + 1;
                continue;
            }
            var end = path.IndexOfAny(['.', '['], i);
            if (end < 0) end = path.Length;
            var key = path[i..end];
            current = current is YMapping map ? map.Get(key) : null;
            i = end;
        }
        return current;
    }
}
