using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions.Yaml;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Definitions.Reading;

/// <summary>
/// Turns a YAML tree into a <see cref="Workflow"/>: reads every form of the original format (batch forms through
/// <see cref="BatchForms"/> and <see cref="DraftExpander"/>), validates, and places each problem at its line and column
/// (<see cref="ErrorLocator"/>).
/// </summary>
internal sealed class WorkflowReader
{
    internal static readonly string[] TopLevelKeys =
        ["name", "description", "version", "timeout", "max_concurrency", "inputs", "tasks", "type", "batch", "template", "protocol", "wait_for_completion", "metadata"];

    internal static readonly string[] TaskKeys =
        ["id", "name", "description", "method", "protocol", "params", "parameters", "dependencies", "depends_on", "priority", "timeout", "retry", "provider", "server", "metadata", "when", "join", "loop"];

    internal static readonly string[] LoopKeys = ["until", "max_iterations", "on_exhausted"];

    internal static string[] RetryKeys => FieldReader.RetryKeys;

    private readonly string? _source;
    private readonly string? _baseDirectory;
    private readonly string? _defaultName;
    private readonly ReadErrors _errors;
    private readonly FieldReader _fields;
    private readonly BatchForms _batch;
    private readonly DraftExpander _expander = new();

    public WorkflowReader(string? source, string? baseDirectory, string? defaultName)
    {
        _source = source;
        _baseDirectory = baseDirectory;
        _defaultName = defaultName;
        _errors = new ReadErrors(source);
        _fields = new FieldReader(_errors);
        _batch = new BatchForms(_errors, _fields, baseDirectory);
    }

    public Workflow Read(YNode? root, ProviderRegistry? registry)
    {
        if (root is null)
        {
            _errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, "the workflow is empty: it needs at least 'name:' and a 'tasks:' list", new YScalar("", YamlDotNet.Core.ScalarStyle.Plain, null, 1, 1));
            throw _errors.ToException();
        }
        if (root is not YMapping map)
        {
            _errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, $"a workflow is a mapping with 'name:' and 'tasks:', not {root.Kind}", root);
            throw _errors.ToException();
        }
        _fields.CheckKeys(map, TopLevelKeys, "workflow", GleitzeitErrorCode.WorkflowValidationFailed, null);

        var name = _fields.OptionalString(map, "name", null) ?? _defaultName ?? "workflow";
        var description = _fields.OptionalString(map, "description", null);
        var version = _fields.OptionalString(map, "version", null);
        var timeout = _fields.Seconds(map.Get("timeout"), "timeout", null);
        var maxConcurrency = _fields.Integer(map.Get("max_concurrency"), "max_concurrency", null);
        var inputs = ReadInputs(map.Get("inputs"));
        var type = _fields.OptionalString(map, "type", null);
        var defaultProtocol = _fields.OptionalString(map, "protocol", null);

        var drafts = new List<TaskDraft>();
        var tasksNode = map.Get("tasks");
        var isBatch = string.Equals(type, "batch", StringComparison.OrdinalIgnoreCase) || map.Get("batch") is not null || map.Get("template") is not null;
        switch (tasksNode)
        {
            case null when !isBatch:
                _errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, "the workflow has no 'tasks:': add a list of tasks, each with 'id:' and 'method:'", map);
                break;
            case null:
                break;
            case YScalar s when s.IsNull && !isBatch:
                _errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, "'tasks:' is empty: add at least one task with 'id:' and 'method:'", s, field: "tasks");
                break;
            case YScalar s when s.IsNull:
                break;
            case YSequence seq:
                if (seq.Items.Count == 0 && !isBatch)
                {
                    _errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, "'tasks:' is empty: add at least one task with 'id:' and 'method:'", seq);
                }
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    if (ReadTask(seq.Items[i], i) is { } draft) drafts.Add(draft);
                }
                break;
            default:
                _errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, $"'tasks' must be a list of tasks, got {tasksNode.Kind}", tasksNode);
                break;
        }
        if (isBatch) _batch.ReadBatchForm(map, defaultProtocol, drafts);

        var tasks = _errors.Count == 0 ? _expander.Expand(drafts) : [];
        if (_errors.Count > 0) throw _errors.ToException();

        var workflow = new Workflow
        {
            Name = name,
            Description = description,
            Version = version,
            Timeout = timeout,
            MaxConcurrency = maxConcurrency,
            Inputs = inputs,
            BaseDirectory = _baseDirectory,
            Tasks = tasks,
        };
        var owners = new List<int>();
        var problems = WorkflowValidator.Validate(workflow, registry, owners);
        if (problems.Count > 0)
        {
            var locator = new ErrorLocator(_source, map, _expander.Sources);
            for (var i = 0; i < problems.Count; i++)
            {
                var p = problems[i];
                _errors.Add(p with { Location = locator.Locate(p, owners[i]), Message = _expander.ExplainExpanded(p.Message) });
            }
            throw _errors.ToException();
        }
        return workflow;
    }

    private TaskDraft? ReadTask(YNode node, int index)
    {
        if (node is not YMapping task)
        {
            _errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"task #{index + 1} must be a mapping with 'id:' and 'method:', got {node.Kind}", node);
            return null;
        }
        var before = _errors.Count;
        var idNode = task.Get("id");
        var nameNode = task.Get("name");
        var label = (idNode as YScalar)?.Value ?? (nameNode as YScalar)?.Value;
        var id = _fields.OptionalString(task, "id", label) ?? _fields.OptionalString(task, "name", label);
        var name = idNode is null ? null : _fields.OptionalString(task, "name", label);
        if (id is null || id.Trim().Length == 0)
        {
            _errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"task #{index + 1} has no id: give it 'id:' (or 'name:')", idNode ?? task, label, "id");
            id = null;
        }
        label = id ?? $"#{index + 1}";
        _fields.CheckKeys(task, TaskKeys, $"task '{label}'", GleitzeitErrorCode.TaskValidationFailed, label);
        _fields.OptionalString(task, "description", label);
        _fields.Both(task, "params", "parameters", label);
        _fields.Both(task, "dependencies", "depends_on", label);
        _fields.Both(task, "provider", "server", label);

        var method = _fields.OptionalString(task, "method", label);
        if (method is null || method.Trim().Length == 0)
        {
            _errors.Add(GleitzeitErrorCode.TaskValidationFailed, "the task has no method: add e.g. 'method: llm/chat'", task.Get("method") ?? task, label, "method");
        }
        var protocol = _fields.OptionalString(task, "protocol", label);
        var paramsNode = task.Get("params") ?? task.Get("parameters");
        var parameters = _fields.Parameters(paramsNode, label);
        var priority = _fields.Priority(task.Get("priority"), label);
        var timeout = _fields.Seconds(task.Get("timeout"), "timeout", label);
        var retry = _fields.Retry(task.Get("retry"), label);
        var provider = _fields.OptionalString(task, "provider", label) ?? _fields.OptionalString(task, "server", label);
        var when = _fields.OptionalString(task, "when", label);
        var join = ReadJoin(task.Get("join"), label);
        var loop = ReadLoop(task.Get("loop"), label);

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
                    else _errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"each dependency is a task id, got {item.Kind}", item, label, "dependencies");
                }
                break;
            default:
                _errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"'dependencies' must be a list of task ids, got {depsNode.Kind}", depsNode, label, "dependencies");
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
            When = when,
            Join = join,
            Loop = loop,
            Source = sourceInfo,
        };
        draft.Dependencies.AddRange(dependencies);
        _batch.ReadBatchMode(draft, paramsNode as YMapping);
        return draft;
    }

    private JoinMode ReadJoin(YNode? node, string label)
    {
        switch (node)
        {
            case null:
            case YScalar { IsNull: true }:
                return JoinMode.All;
            case YScalar { Value: "all" }:
                return JoinMode.All;
            case YScalar { Value: "any" }:
                return JoinMode.Any;
            default:
                _errors.Add(GleitzeitErrorCode.TaskValidationFailed,
                    $"'join' must be 'all' (run when every dependency completed) or 'any' (run when every dependency finished and at least one completed), got {FieldReader.Show(node)}",
                    node, label, "join");
                return JoinMode.All;
        }
    }

    private TaskLoop? ReadLoop(YNode? node, string label)
    {
        switch (node)
        {
            case null:
            case YScalar { IsNull: true }:
                return null;
            case YMapping map:
                _fields.CheckKeys(map, LoopKeys, "loop", GleitzeitErrorCode.TaskValidationFailed, label);
                var until = _fields.OptionalString(map, "until", label);
                if (until is null)
                {
                    _errors.Add(GleitzeitErrorCode.TaskValidationFailed, "loop.until is missing: add the condition that ends the loop, e.g. until: \"${self.score} >= 8\"", map, label, "loop");
                }
                var max = _fields.Integer(map.Get("max_iterations"), "loop.max_iterations", label);
                if (map.Get("max_iterations") is null)
                {
                    _errors.Add(GleitzeitErrorCode.TaskValidationFailed, "loop.max_iterations is missing: a loop needs a bound, e.g. max_iterations: 5", map, label, "loop");
                }
                else if (max is < 1)
                {
                    _errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"loop.max_iterations must be at least 1, got {max}", map.Get("max_iterations")!, label, "loop.max_iterations");
                }
                var onExhausted = LoopExhaustedAction.Fail;
                switch (map.Get("on_exhausted"))
                {
                    case null:
                    case YScalar { IsNull: true }:
                    case YScalar { Value: "fail" }:
                        break;
                    case YScalar { Value: "complete" }:
                        onExhausted = LoopExhaustedAction.Complete;
                        break;
                    case var other:
                        _errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"loop.on_exhausted must be 'fail' or 'complete', got {FieldReader.Show(other)}", other, label, "loop.on_exhausted");
                        break;
                }
                return until is null || max is null ? null : new TaskLoop { Until = until, MaxIterations = max.Value, OnExhausted = onExhausted };
            default:
                _errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"'loop' must be a mapping (until, max_iterations, on_exhausted), got {node.Kind}", node, label, "loop");
                return null;
        }
    }

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
                _errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, $"'inputs' must be a mapping of input names to default values, got {node.Kind}", node, field: "inputs");
                break;
        }
        return inputs;
    }
}
