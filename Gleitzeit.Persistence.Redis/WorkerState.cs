using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Persistence.Redis;

/// <summary>A run's definition as a worker needs it: tasks, inputs, and who depends on whom.</summary>
internal sealed class RunContext
{
    private readonly Dictionary<string, List<string>> _dependents = new(StringComparer.Ordinal);

    public RunContext(string id, Workflow workflow, IReadOnlyDictionary<string, JsonNode?> inputs)
    {
        Id = id;
        Workflow = workflow;
        Inputs = inputs;
        HasInputsTask = workflow.FindTask(Reference.InputsRoot) is not null;
        foreach (var task in workflow.Tasks)
        {
            foreach (var dep in task.Dependencies.Distinct(StringComparer.Ordinal))
            {
                if (!_dependents.TryGetValue(dep, out var list)) _dependents[dep] = list = [];
                list.Add(task.Id);
            }
        }
    }

    public string Id { get; }

    public Workflow Workflow { get; }

    /// <summary>When the run's <see cref="Workflow.Timeout"/> expires (from when it started), if it has one.</summary>
    public DateTimeOffset? Deadline { get; init; }

    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; }

    /// <summary>A task named <c>inputs</c> shadows <c>${inputs.X}</c>, as in the engine.</summary>
    public bool HasInputsTask { get; }

    public IReadOnlyList<string> Dependents(string taskId) => _dependents.TryGetValue(taskId, out var list) ? list : [];

    public IReadOnlyList<string> TransitiveDependents(string taskId)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<string>();
        var stack = new Stack<string>(Dependents(taskId));
        while (stack.TryPop(out var d))
        {
            if (!seen.Add(d)) continue;
            order.Add(d);
            foreach (var next in Dependents(d)) stack.Push(next);
        }
        return order;
    }
}

/// <summary>A stream entry this worker holds: the task it names, and the token that stops its attempt.</summary>
internal sealed class Claim(string entryId, string runId, string taskId) : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private volatile bool _abandoned;

    public string EntryId { get; } = entryId;

    public string RunId { get; } = runId;

    public string TaskId { get; } = taskId;

    public CancellationToken Token => _cts.Token;

    /// <summary>The base keys of the bounded lanes whose permits this task holds while it runs (null: none).</summary>
    public List<string>? Lanes { get; set; }

    /// <summary>The worker is stopping: the attempt ends unreported and the task goes back to the queue.</summary>
    public bool Abandoned => _abandoned;

    /// <summary>The run was cancelled.</summary>
    public void Cancel() => TryCancel();

    public void Abandon()
    {
        _abandoned = true;
        TryCancel();
    }

    private void TryCancel()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt already ended.
        }
        catch (AggregateException)
        {
            // Exceptions of the provider's cancellation callbacks belong to the provider.
        }
    }

    public void Dispose() => _cts.Dispose();
}

/// <summary>A stream entry this worker claimed: the task it names and its rank in the ready set (null for entries without one).</summary>
internal sealed record Taken(string EntryId, string? RunId, string? TaskId, string? Rank);

internal enum OutcomeKind
{
    Completed,
    Failed,
    Retry,
    Cancelled,
    Deferred,
}

/// <summary>How one attempt ended.</summary>
internal sealed record Outcome(OutcomeKind Kind, JsonNode? Result, GleitzeitError? Error, TimeSpan Delay, DateTimeOffset At)
{
    /// <summary>A completed result served from the result cache.</summary>
    public bool Cached { get; init; }

    public static Outcome Completed(JsonNode? result, DateTimeOffset at) => new(OutcomeKind.Completed, result, null, TimeSpan.Zero, at);

    public static Outcome Failed(GleitzeitError error, JsonNode? result, DateTimeOffset at) => new(OutcomeKind.Failed, result, error, TimeSpan.Zero, at);

    public static Outcome Retry(GleitzeitError error, TimeSpan delay, DateTimeOffset at) => new(OutcomeKind.Retry, null, error, delay, at);

    public static Outcome Cancelled(DateTimeOffset at) => new(OutcomeKind.Cancelled, null, null, TimeSpan.Zero, at);

    /// <summary>No call was made (a rate limit): queued again after <paramref name="delay"/>, the attempt uncounted.</summary>
    public static Outcome Deferred(TimeSpan delay, DateTimeOffset at) => new(OutcomeKind.Deferred, null, null, delay, at);
}
