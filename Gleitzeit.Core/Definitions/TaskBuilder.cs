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

    internal TaskBuilder(string id, string method, JsonObject parameters)
    {
        _id = id;
        _method = method;
        _parameters = parameters;
    }

    public TaskBuilder DependsOn(params string[] taskIds)
    {
        foreach (var t in taskIds)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(t, nameof(taskIds));
            if (!_dependencies.Contains(t)) _dependencies.Add(t);
        }
        return this;
    }

    public TaskBuilder WithName(string name)
    {
        _name = name;
        return this;
    }

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
    };
}
