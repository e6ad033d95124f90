using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Gleitzeit.Core.Conditions;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Definitions;

/// <summary>
/// Builds a <see cref="Workflow"/> in code. Each call is checked as it is made (ids unique, dependencies already added,
/// references well-formed and pointing at dependencies), so a mistake surfaces at the line that made it;
/// <see cref="Build"/> then validates the whole exactly as the YAML loader does. A built builder refuses changes.
/// </summary>
public sealed class WorkflowBuilder
{
    private readonly List<WorkflowTask> _tasks = [];
    private readonly Dictionary<string, WorkflowTask> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode?> _inputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _outputs = new(StringComparer.Ordinal);
    private readonly string _name;
    private string? _description;
    private string? _version;
    private TimeSpan? _timeout;
    private int? _maxConcurrency;
    private string? _baseDirectory;
    private bool _built;

    /// <summary>Starts a workflow definition named <paramref name="name"/>.</summary>
    public WorkflowBuilder(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _name = name;
    }

    /// <summary>Sets the workflow's free-text description.</summary>
    public WorkflowBuilder WithDescription(string description) => Set(() => _description = description);

    /// <summary>Sets the workflow's version label.</summary>
    public WorkflowBuilder WithVersion(string version) => Set(() => _version = version);

    /// <summary>Limit for the whole run.</summary>
    public WorkflowBuilder WithTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        return Set(() => _timeout = timeout);
    }

    /// <summary>Most tasks of this workflow running at once.</summary>
    public WorkflowBuilder WithMaxConcurrency(int maxConcurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        return Set(() => _maxConcurrency = maxConcurrency);
    }

    /// <summary>Declares an input with its default, read as <c>${inputs.NAME}</c>.</summary>
    public WorkflowBuilder WithInput(string name, JsonNode? defaultValue = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Set(() => _inputs[name] = defaultValue);
    }

    /// <summary>
    /// Declares an output of the workflow: <paramref name="reference"/> (<c>${merge.result}</c>, or text holding
    /// references) is resolved when the run completes, into <see cref="WorkflowRun.Outputs"/>[<paramref name="name"/>].
    /// </summary>
    public WorkflowBuilder Output(string name, string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(reference);
        return Set(() => _outputs[name] = reference);
    }

    /// <summary>
    /// Adds a <c>workflow/run</c> task: it runs <paramref name="workflowOrPath"/> (a workflow file, relative to
    /// <see cref="WithBaseDirectory"/>, or the name of a workflow registered with the engine) as a run of its own, with
    /// <paramref name="inputs"/> (values or references such as <c>${draft.response}</c>), and answers
    /// <c>{ "workflow_id", "status", "outputs" }</c>.
    /// </summary>
    [RequiresUnreferencedCode("Converts inputs by reflection; pass a JsonObject (copied as is) under trimming.")]
    [RequiresDynamicCode("Converts inputs by reflection; pass a JsonObject (copied as is) under Native AOT.")]
    public WorkflowBuilder RunWorkflow(string id, string workflowOrPath, object? inputs = null, Action<TaskBuilder>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workflowOrPath);
        var p = new JsonObject { ["workflow"] = workflowOrPath };
        if (ToJson(inputs) is { } given)
        {
            if (given is not JsonObject) throw new ArgumentException("inputs must be an object: input names to values.", nameof(inputs));
            p["inputs"] = given;
        }
        return AddTask(id, Execution.WorkflowRunProvider.MethodName, p, configure);
    }

    /// <summary>
    /// Adds a foreach task: once its dependencies are done, it expands into one item per element of the list that
    /// <paramref name="listReference"/> names (<c>${plan.result}</c>), ids <c>id[0]</c>, <c>id[1]</c>, ...; each item calls
    /// the method set with <see cref="TaskBuilder.WithMethod"/>, its parameters reading <c>${item}</c> and <c>${index}</c>.
    /// The task's result is <c>{ "results": [...], "count": n }</c>.
    /// </summary>
    /// <example><c>.ForEach("research", "${plan.result}", t => t.DependsOn("plan").WithMethod("llm/chat", new JsonObject { ["prompt"] = "About ${item}" }).WithMaxConcurrency(2))</c></example>
    public WorkflowBuilder ForEach(string id, string listReference, Action<TaskBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(listReference);
        return AddForEach(id, JsonValue.Create(listReference), configure);
    }

    /// <summary>Adds a foreach task over a list known now (<paramref name="items"/>, converted as JSON sees them); see
    /// <see cref="ForEach(string, string, Action{TaskBuilder})"/>.</summary>
    [RequiresUnreferencedCode("Converts the items by reflection; use the overload taking a JsonArray under trimming.")]
    [RequiresDynamicCode("Converts the items by reflection; use the overload taking a JsonArray under Native AOT.")]
    public WorkflowBuilder ForEach(string id, IEnumerable<object?> items, Action<TaskBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(items);
        return AddForEach(id, new JsonArray(items.Select(ToJson).ToArray()), configure);
    }

    /// <summary>Adds a foreach task over a list known now, given as JSON (copied; no reflection, so trimming and Native AOT
    /// safe); see <see cref="ForEach(string, string, Action{TaskBuilder})"/>.</summary>
    public WorkflowBuilder ForEach(string id, JsonArray items, Action<TaskBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(items);
        return AddForEach(id, items.DeepClone(), configure);
    }

    private WorkflowBuilder AddForEach(string id, JsonNode list, Action<TaskBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        string? method = null;
        AddTask(id, ForEachUnsetMethod, null, t =>
        {
            t.WithForEach(list);
            configure(t);
            method = t.Method;
        });
        if (method == ForEachUnsetMethod)
        {
            _tasks.RemoveAt(_tasks.Count - 1);
            _byId.Remove(id);
            Fail(GleitzeitErrorCode.TaskValidationFailed, $"foreach task '{id}' names no method: call WithMethod(\"llm/chat\", parameters) in its configuration", id, "method");
        }
        return this;
    }

    private const string ForEachUnsetMethod = "foreach/unset";

    /// <summary>Directory that relative file paths in parameters resolve against (default: the current directory at run time).</summary>
    public WorkflowBuilder WithBaseDirectory(string directory) => Set(() => _baseDirectory = Path.GetFullPath(directory));

    /// <summary>Adds a task calling any method. The protocol is inferred from the method (<c>x/...</c> → <c>x/v1</c>) unless set with <see cref="TaskBuilder.WithProtocol"/>.</summary>
    public WorkflowBuilder AddTask(string id, string method, JsonObject? parameters = null, Action<TaskBuilder>? configure = null)
    {
        EnsureNotBuilt();
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        if (_byId.ContainsKey(id)) Fail(GleitzeitErrorCode.TaskAlreadyExists, $"duplicate task id '{id}': task ids must be unique", id, "id");

        var task = new TaskBuilder(id, method, parameters ?? new JsonObject());
        configure?.Invoke(task);
        var built = task.ToTask();
        if (string.IsNullOrEmpty(built.Protocol))
        {
            Fail(GleitzeitErrorCode.TaskValidationFailed, $"no protocol can be inferred from method '{method}': call WithProtocol(\"name/v1\")", id, "protocol");
        }
        foreach (var dep in built.Dependencies)
        {
            if (dep == id) Fail(GleitzeitErrorCode.WorkflowCircularDependency, $"task '{id}' depends on itself", id, "dependencies");
            if (!_byId.ContainsKey(dep))
            {
                Fail(GleitzeitErrorCode.WorkflowValidationFailed, $"unknown dependency '{dep}': add a task before the tasks that depend on it", id, "dependencies");
            }
        }
        CheckReferences(built);
        CheckConditionReferences(built);
        _tasks.Add(built);
        _byId[id] = built;
        return this;
    }

    /// <summary>Adds an <c>llm/chat</c> task: <paramref name="prompt"/> is one user message; <paramref name="messages"/> a full conversation.</summary>
    public WorkflowBuilder Chat(string id, string? model = null, string? prompt = null, IEnumerable<ChatMessageSpec>? messages = null,
        string? system = null, double? temperature = null, int? maxTokens = null, IEnumerable<string>? dependsOn = null, Action<TaskBuilder>? configure = null)
    {
        var p = LlmParameters(model, prompt, messages, system, temperature, maxTokens);
        return AddTask(id, "llm/chat", p, Configure(dependsOn, configure));
    }

    /// <summary>Adds an <c>llm/generate</c> task (one prompt, no conversation).</summary>
    public WorkflowBuilder Generate(string id, string? model = null, string? prompt = null, string? system = null, double? temperature = null,
        int? maxTokens = null, IEnumerable<string>? dependsOn = null, Action<TaskBuilder>? configure = null)
    {
        var p = LlmParameters(model, prompt, null, system, temperature, maxTokens);
        return AddTask(id, "llm/generate", p, Configure(dependsOn, configure));
    }

    /// <summary>Adds an <c>llm/vision</c> task: images from files (<paramref name="imagePaths"/>) or base64 (<paramref name="images"/>).</summary>
    public WorkflowBuilder Vision(string id, string? model = null, string? prompt = null, IEnumerable<string>? imagePaths = null, IEnumerable<string>? images = null,
        IEnumerable<ChatMessageSpec>? messages = null, IEnumerable<string>? dependsOn = null, Action<TaskBuilder>? configure = null)
    {
        var p = LlmParameters(model, prompt, messages, null, null, null);
        if (imagePaths is not null) p["image_paths"] = ToArray(imagePaths);
        if (images is not null) p["images"] = ToArray(images);
        return AddTask(id, "llm/vision", p, Configure(dependsOn, configure));
    }

    /// <summary>Adds an <c>llm/embed</c> task for one text or several.</summary>
    public WorkflowBuilder Embed(string id, string? model = null, string? input = null, IEnumerable<string>? inputs = null,
        IEnumerable<string>? dependsOn = null, Action<TaskBuilder>? configure = null)
    {
        var p = new JsonObject();
        if (model is not null) p["model"] = model;
        if (inputs is not null) p["input"] = ToArray(inputs);
        else if (input is not null) p["input"] = input;
        return AddTask(id, "llm/embed", p, Configure(dependsOn, configure));
    }

    /// <summary>Validates the whole workflow (as the loader does) and returns it. The builder accepts no changes afterwards.</summary>
    public Workflow Build()
    {
        EnsureNotBuilt();
        var workflow = new Workflow
        {
            Name = _name,
            Description = _description,
            Version = _version,
            Timeout = _timeout,
            MaxConcurrency = _maxConcurrency,
            Inputs = new Dictionary<string, JsonNode?>(_inputs),
            Outputs = new Dictionary<string, string>(_outputs, StringComparer.Ordinal),
            BaseDirectory = _baseDirectory,
            Tasks = _tasks.ToList(),
        };
        WorkflowValidator.EnsureValid(workflow, source: _name);
        _built = true;
        return workflow;
    }

    /// <summary>
    /// Converts a plain object (anonymous type, dictionary, record) into parameters, as JSON sees it, by reflection. Under
    /// trimming or Native AOT pass a <see cref="JsonNode"/> (copied as is) or use <see cref="ToJson{T}(T, JsonTypeInfo{T})"/>.
    /// </summary>
    [RequiresUnreferencedCode("Serializes an arbitrary object by reflection; pass a JsonNode or use ToJson<T>(T, JsonTypeInfo<T>) under trimming.")]
    [RequiresDynamicCode("Serializes an arbitrary object by reflection; pass a JsonNode or use ToJson<T>(T, JsonTypeInfo<T>) under Native AOT.")]
    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        _ => JsonSerializer.SerializeToNode(value, value.GetType(), JsonOptions),
    };

    /// <summary>Converts <paramref name="value"/> into parameters with source-generated metadata: safe under trimming and Native AOT.</summary>
    public static JsonNode? ToJson<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return value is JsonNode node ? node.DeepClone() : JsonSerializer.SerializeToNode(value, typeInfo);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = null };

    private static Action<TaskBuilder> Configure(IEnumerable<string>? dependsOn, Action<TaskBuilder>? configure) => t =>
    {
        if (dependsOn is not null) t.DependsOn([.. dependsOn]);
        configure?.Invoke(t);
    };

    private static JsonObject LlmParameters(string? model, string? prompt, IEnumerable<ChatMessageSpec>? messages, string? system, double? temperature, int? maxTokens)
    {
        var p = new JsonObject();
        if (model is not null) p["model"] = model;
        if (messages is not null)
        {
            p["messages"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray());
        }
        if (prompt is not null) p["prompt"] = prompt;
        if (system is not null) p["system"] = system;
        if (temperature is not null) p["temperature"] = temperature;
        if (maxTokens is not null) p["max_tokens"] = maxTokens;
        return p;
    }

    private static JsonArray ToArray(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private void CheckReferences(WorkflowTask task)
    {
        List<(string Path, Template Template)> templates;
        try
        {
            templates = ReferenceResolver.FindTemplates(task.Parameters).ToList();
        }
        catch (FormatException ex)
        {
            Fail(GleitzeitErrorCode.TaskValidationFailed, $"malformed reference: {ex.Message}", task.Id, "parameters");
            return;
        }
        if (task.ForEach is JsonValue fe && fe.GetValueKind() == JsonValueKind.String)
        {
            try
            {
                templates.Add(("\u0000foreach", Template.Parse(fe.GetValue<string>())));
            }
            catch (FormatException ex)
            {
                Fail(GleitzeitErrorCode.TaskValidationFailed, $"malformed reference in foreach: {ex.Message}", task.Id, "foreach");
            }
        }
        foreach (var (path, template) in templates)
        {
            foreach (var reference in template.References)
            {
                if (reference.IsInput) continue; // inputs may be declared after the task; Build() checks them
                // ${item} and ${index} (in a foreach task's parameters) are checked by Build() like everything else.
                if (reference.Root is "item" or "index" && !_byId.ContainsKey(reference.Root)) continue;
                if (task.Loop is not null && reference.Root is TaskConditions.IterationRoot or TaskConditions.PreviousRoot) continue;
                if (!_byId.ContainsKey(reference.Root))
                {
                    Fail(GleitzeitErrorCode.TaskValidationFailed, $"{reference} refers to unknown task '{reference.Root}'", task.Id, path[0] == '\u0000' ? "foreach" : "parameters." + path);
                }
                if (!IsAncestor(task, reference.Root))
                {
                    Fail(GleitzeitErrorCode.TaskValidationFailed, $"{reference} refers to task '{reference.Root}', which is not a dependency: add dependsOn: [\"{reference.Root}\"]", task.Id, path[0] == '\u0000' ? "foreach" : "parameters." + path);
                }
            }
        }
    }

    /// <summary>The references of <c>when</c> and <c>loop.until</c> name inputs, dependencies or the loop's own state.</summary>
    private void CheckConditionReferences(WorkflowTask task)
    {
        foreach (var (text, field) in new[] { (task.When, "when"), (task.Loop?.Until, "loop.until") })
        {
            if (text is null) continue;
            foreach (var node in ConditionExpression.Parse(text).References)
            {
                var reference = node.Reference;
                if (reference.IsInput) continue;
                if (field == "loop.until" && reference.Root is TaskConditions.SelfRoot or TaskConditions.PreviousRoot or TaskConditions.IterationRoot) continue;
                if (!_byId.ContainsKey(reference.Root) || !IsAncestor(task, reference.Root))
                {
                    Fail(GleitzeitErrorCode.TaskValidationFailed,
                        $"{field}: {reference} refers to task '{reference.Root}', which is not a dependency: add dependsOn: [\"{reference.Root}\"]" +
                        (field == "loop.until" ? "; ${self.…} is the iteration's own result" : ""), task.Id, field);
                }
            }
        }
    }

    private bool IsAncestor(WorkflowTask task, string ancestor)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(task.Dependencies);
        while (stack.TryPop(out var id))
        {
            if (id == ancestor) return true;
            if (seen.Add(id) && _byId.TryGetValue(id, out var t)) foreach (var d in t.Dependencies) stack.Push(d);
        }
        return false;
    }

    private WorkflowBuilder Set(Action apply)
    {
        EnsureNotBuilt();
        apply();
        return this;
    }

    private void EnsureNotBuilt()
    {
        if (_built) throw new InvalidOperationException($"Workflow '{_name}' was already built; start a new WorkflowBuilder to make another.");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Fail(GleitzeitErrorCode code, string message, string taskId, string field) =>
        throw new WorkflowValidationException([new ValidationError(code, message, taskId, field)], _name);
}
