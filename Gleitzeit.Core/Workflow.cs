using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>
/// A workflow definition: a DAG of tasks. Immutable; build one with <see cref="Definitions.WorkflowBuilder"/>
/// or load one with <see cref="Definitions.WorkflowLoader"/>, both of which validate it.
/// </summary>
public sealed record Workflow
{
    /// <summary>Run id. Empty until the engine assigns one at submit (or the caller chooses one).</summary>
    public string Id { get; init; } = "";

    public required string Name { get; init; }

    public string? Description { get; init; }

    public string? Version { get; init; }

    /// <summary>Tasks in definition order.</summary>
    public IReadOnlyList<WorkflowTask> Tasks { get; init; } = [];

    /// <summary>Limit for the whole run; tasks still running when it expires are cancelled and the run fails with WORKFLOW_TIMEOUT.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Most tasks of this workflow running at once; null means only the engine-wide bound applies.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>Named inputs with their defaults, read through <c>${inputs.NAME}</c>.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>Directory that relative file paths in parameters resolve against (the YAML file's base directory).</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>Returns the task with that id, or null.</summary>
    public WorkflowTask? FindTask(string taskId)
    {
        foreach (var task in Tasks)
        {
            if (task.Id == taskId) return task;
        }
        return null;
    }
}

/// <summary>One task of a workflow: a JSON-RPC method call on a protocol, with parameters and dependencies.</summary>
public sealed record WorkflowTask
{
    public required string Id { get; init; }

    /// <summary>Display name; defaults to the id.</summary>
    public string? Name { get; init; }

    /// <summary>Protocol id such as <c>llm/v1</c>; inferred from the method when absent.</summary>
    public required string Protocol { get; init; }

    /// <summary>Method such as <c>llm/chat</c>, <c>python/execute</c> or <c>tool.echo</c>.</summary>
    public required string Method { get; init; }

    public JsonObject Parameters { get; init; } = new();

    public IReadOnlyList<string> Dependencies { get; init; } = [];

    /// <summary>Larger runs first among ready tasks. See <see cref="TaskPriority"/> for the named levels.</summary>
    public int Priority { get; init; } = TaskPriority.Normal;

    /// <summary>Limit for one attempt; null takes the engine default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Retry policy; null takes the engine default.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Which configured provider instance serves this task (e.g. which MCP server); null lets the registry route by protocol.</summary>
    public string? Provider { get; init; }

    public string DisplayName => Name ?? Id;

    /// <summary>The dependencies without repeats; no set is built for the common case of one or none.</summary>
    internal IReadOnlyList<string> DistinctDependencies() =>
        Dependencies.Count <= 1 ? Dependencies : Dependencies.Distinct(StringComparer.Ordinal).ToList();
}

/// <summary>Named priority levels of the original format; any integer is allowed, larger runs first.</summary>
public static class TaskPriority
{
    public const int Low = 0;
    public const int Normal = 10;
    public const int High = 20;
    public const int Urgent = 30;

    /// <summary>Parses <c>low|normal|high|urgent</c> (any case) or an integer.</summary>
    public static bool TryParse(string? text, out int priority)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "low": priority = Low; return true;
            case "normal" or "medium": priority = Normal; return true;
            case "high": priority = High; return true;
            case "urgent" or "critical": priority = Urgent; return true;
        }
        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out priority);
    }
}

/// <summary>
/// Retry with exponential backoff: attempt n (n ≥ 2) waits <c>min(InitialDelay * BackoffFactor^(n-2), MaxDelay)</c>,
/// scaled by a random factor in [0.5, 1.5) when <see cref="Jitter"/> is on. Only retryable errors are retried.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>Total attempts including the first. 1 disables retries.</summary>
    public int MaxAttempts { get; init; } = 3;

    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    public double BackoffFactor { get; init; } = 2.0;

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    public bool Jitter { get; init; } = true;

    /// <summary>No retries.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>The delay before <paramref name="nextAttempt"/> (2 for the first retry), jittered when <see cref="Jitter"/> is on.</summary>
    public TimeSpan DelayBefore(int nextAttempt)
    {
        var delay = BaseDelayBefore(nextAttempt);
        if (!Jitter || delay <= TimeSpan.Zero) return delay;
        return TimeSpan.FromMilliseconds(delay.TotalMilliseconds * (0.5 + Random.Shared.NextDouble()));
    }

    /// <summary>The delay before <paramref name="nextAttempt"/> (2 for the first retry), without jitter.</summary>
    public TimeSpan BaseDelayBefore(int nextAttempt)
    {
        var exponent = Math.Max(0, nextAttempt - 2);
        var ms = InitialDelay.TotalMilliseconds * Math.Pow(BackoffFactor, exponent);
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }
}
