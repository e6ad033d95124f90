using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Definitions;

/// <summary>Settings of one task being added to a <see cref="WorkflowBuilder"/>.</summary>
public sealed class TaskBuilder
{
    private readonly string _id;
    private string _method;
    private JsonObject _parameters;
    private readonly List<string> _dependencies = [];
    private string? _protocol;
    private string? _name;
    private int _priority = TaskPriority.Normal;
    private TimeSpan? _timeout;
    private RetryPolicy? _retry;
    private string? _provider;
    private JsonNode? _forEach;
    private int? _maxConcurrency;
    private string? _when;
    private JoinMode _join = JoinMode.All;
    private TaskLoop? _loop;

    internal TaskBuilder(string id, string method, JsonObject parameters)
    {
        _id = id;
        _method = method;
        _parameters = parameters;
    }

    /// <summary>Adds tasks that must complete before this one starts.</summary>
    public TaskBuilder DependsOn(params string[] taskIds)
    {
        foreach (var t in taskIds)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(t, nameof(taskIds));
            if (!_dependencies.Contains(t)) _dependencies.Add(t);
        }
        return this;
    }

    /// <summary>Sets the task's display name (defaults to its id).</summary>
    public TaskBuilder WithName(string name)
    {
        _name = name;
        return this;
    }

    /// <summary>Sets the protocol (e.g. <c>llm/v1</c>) that routes the task to a provider.</summary>
    public TaskBuilder WithProtocol(string protocol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(protocol);
        _protocol = protocol;
        return this;
    }

    /// <summary>Larger runs first; see <see cref="TaskPriority"/>.</summary>
    public TaskBuilder WithPriority(int priority)
    {
        _priority = priority;
        return this;
    }

    /// <summary>Sets the longest one attempt of the task may run before it fails with a timeout.</summary>
    public TaskBuilder WithTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _timeout = timeout;
        return this;
    }

    /// <summary>Retries retryable errors up to <paramref name="maxAttempts"/> attempts in all, with exponential backoff.</summary>
    public TaskBuilder WithRetry(int maxAttempts, TimeSpan? initialDelay = null, double backoffFactor = 2.0, TimeSpan? maxDelay = null, bool jitter = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(backoffFactor, 1.0);
        var defaults = new RetryPolicy();
        _retry = new RetryPolicy
        {
            MaxAttempts = maxAttempts,
            InitialDelay = initialDelay ?? defaults.InitialDelay,
            BackoffFactor = backoffFactor,
            MaxDelay = maxDelay ?? defaults.MaxDelay,
            Jitter = jitter,
        };
        return this;
    }

    /// <summary>Sets how failed attempts of the task are retried.</summary>
    public TaskBuilder WithRetry(RetryPolicy policy)
    {
        _retry = policy ?? throw new ArgumentNullException(nameof(policy));
        return this;
    }

    /// <summary>Which configured provider instance serves the task (e.g. an MCP server's name).</summary>
    public TaskBuilder WithProvider(string provider)
    {
        _provider = provider;
        return this;
    }

    /// <summary>
    /// Sets the method the task calls and, when given, its parameters (replacing those set before). A foreach task
    /// (<see cref="WorkflowBuilder.ForEach(string, string, Action{TaskBuilder})"/>) names its items' method here; the
    /// parameters may read <c>${item}</c> and <c>${index}</c>.
    /// </summary>
    public TaskBuilder WithMethod(string method, JsonObject? parameters = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        _method = method;
        if (parameters is not null) _parameters = parameters;
        return this;
    }

    /// <summary>Most items of this foreach task running at once.</summary>
    public TaskBuilder WithMaxConcurrency(int maxConcurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        _maxConcurrency = maxConcurrency;
        return this;
    }

    internal TaskBuilder WithForEach(JsonNode list)
    {
        _forEach = list;
        return this;
    }

    internal string Method => _method;

    /// <summary>
    /// Runs the task only when <paramref name="condition"/> holds once its dependencies are finished, e.g.
    /// <c>"${review.score} >= 8"</c>; otherwise it is skipped with <see cref="GleitzeitErrorCode.TaskConditionFalse"/>,
    /// which does not fail the run. Throws <see cref="WorkflowValidationException"/> when the condition does not parse.
    /// </summary>
    public TaskBuilder When(string condition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(condition);
        CheckSyntax(condition, "when");
        _when = condition;
        return this;
    }

    /// <summary>Whether the task needs every dependency completed (<see cref="JoinMode.All"/>, the default) or one (<see cref="JoinMode.Any"/>).</summary>
    public TaskBuilder Join(JoinMode mode)
    {
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "Join is JoinMode.All or JoinMode.Any.");
        _join = mode;
        return this;
    }

    /// <summary>
    /// Runs the task again while <paramref name="until"/> is false, at most <paramref name="maxIterations"/> times; then it
    /// fails with <see cref="GleitzeitErrorCode.TaskLoopExhausted"/>, or completes with the last result when
    /// <paramref name="onExhausted"/> is <see cref="LoopExhaustedAction.Complete"/>. See <see cref="TaskLoop"/> for
    /// <c>${self}</c>, <c>${previous}</c> and <c>${iteration}</c>.
    /// </summary>
    public TaskBuilder Loop(string until, int maxIterations, LoopExhaustedAction onExhausted = LoopExhaustedAction.Fail)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(until);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        if (!Enum.IsDefined(onExhausted)) throw new ArgumentOutOfRangeException(nameof(onExhausted), onExhausted, "OnExhausted is Fail or Complete.");
        CheckSyntax(until, "loop.until");
        _loop = new TaskLoop { Until = until, MaxIterations = maxIterations, OnExhausted = onExhausted };
        return this;
    }

    private void CheckSyntax(string condition, string field)
    {
        try
        {
            Conditions.ConditionExpression.Parse(condition);
        }
        catch (Conditions.ConditionSyntaxException ex)
        {
            throw new WorkflowValidationException([new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"{field} does not parse: {ex.Message}", _id, field)], null);
        }
    }

    /// <summary>Sets one parameter of the task's method to a JSON value (it may contain <c>${...}</c> references).</summary>
    public TaskBuilder WithParameter(string name, JsonNode? value)
    {
        _parameters[name] = value;
        return this;
    }

    internal WorkflowTask ToTask() => new()
    {
        Id = _id,
        Name = _name,
        Method = _method,
        Protocol = _protocol ?? MethodNames.InferProtocol(_method) ?? "",
        Parameters = _parameters,
        Dependencies = _dependencies.ToList(),
        Priority = _priority,
        Timeout = _timeout,
        Retry = _retry,
        Provider = _provider,
        ForEach = _forEach,
        MaxConcurrency = _maxConcurrency,
        When = _when,
        Join = _join,
        Loop = _loop,
    };
}
