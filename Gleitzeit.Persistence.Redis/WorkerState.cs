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

    /// <summary>The task with this id: one of the workflow's, or an item of one of its foreach tasks (<c>research[3]</c>: its task's definition under the item's id).</summary>
    public WorkflowTask? FindTask(string taskId) =>
        Workflow.FindTask(taskId) ?? (ForEachOf(taskId, out var index) is { } owner ? Gleitzeit.Core.Execution.ForEachLists.ItemDefinition(owner, index) : null);

    /// <summary>The foreach task <paramref name="taskId"/> is an item of, with the item's index; null for any other task.</summary>
    public WorkflowTask? ForEachOf(string taskId, out int index)
    {
        if (Gleitzeit.Core.Execution.ForEachLists.TryParseItemId(taskId, out var owner, out index) && Workflow.FindTask(taskId) is null
            && Workflow.FindTask(owner) is { ForEach: not null } task)
        {
            return task;
        }
        index = -1;
        return null;
    }

    /// <summary>
    /// What <see cref="QueueScripts.EndUnsuccessful"/> needs when <paramref name="taskId"/> fails or is skipped: its
    /// transitive dependents in dependency order, each as (id, join, priority, n, its n dependencies among them and the task).
    /// </summary>
    public void AppendSkipGraph(string taskId, List<StackExchange.Redis.RedisValue> args)
    {
        var below = TransitiveDependents(taskId);
        var inGraph = new HashSet<string>(below, StringComparer.Ordinal) { taskId };
        var remaining = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in below)
        {
            remaining[d] = Workflow.FindTask(d)!.Dependencies.Distinct(StringComparer.Ordinal).Count(x => x != taskId && inGraph.Contains(x));
        }
        var queue = new Queue<string>(below.Where(d => remaining[d] == 0));
        while (queue.TryDequeue(out var d))
        {
            var def = Workflow.FindTask(d)!;
            var deps = def.Dependencies.Distinct(StringComparer.Ordinal).Where(inGraph.Contains).ToList();
            args.Add(d);
            args.Add(def.Join == JoinMode.Any ? "any" : "all");
            args.Add(def.Priority);
            args.Add(deps.Count);
            foreach (var x in deps) args.Add(x);
            foreach (var next in Dependents(d))
            {
                if (--remaining[next] == 0) queue.Enqueue(next);
            }
        }
    }

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
internal sealed record Taken(string EntryId, string? RunId, string? TaskId, string? Rank, string? TraceParent = null);

internal enum OutcomeKind
{
    Completed,
    Failed,
    Retry,
    Cancelled,
    Deferred,

    /// <summary>Its <c>when</c> condition was false.</summary>
    Skipped,

    /// <summary>A loop iteration completed and <c>until</c> is false: the next one is queued.</summary>
    Iterate,
    Waiting,
}

/// <summary>How one attempt ended.</summary>
internal sealed record Outcome(OutcomeKind Kind, JsonNode? Result, GleitzeitError? Error, TimeSpan Delay, DateTimeOffset At)
{
    /// <summary>A completed result served from the result cache.</summary>
    public bool Cached { get; init; }

    /// <summary>The result cache key of a <see cref="Cached"/> result (recorded in the run's event log for watchers).</summary>
    public string? CacheKey { get; init; }

    /// <summary>The provider whose rate limit deferred the task (<see cref="OutcomeKind.Deferred"/>).</summary>
    public string? RateLimitedProvider { get; init; }

    /// <summary>A loop task's iteration to store (the next one for <see cref="OutcomeKind.Iterate"/>); 0 for other tasks.</summary>
    public int Iteration { get; init; }

    /// <summary>A loop task's finished iterations, this one included.</summary>
    public IReadOnlyList<TaskIteration> History { get; init; } = [];

    public static Outcome Skipped(GleitzeitError error, DateTimeOffset at) => new(OutcomeKind.Skipped, null, error, TimeSpan.Zero, at);

    public static Outcome Completed(JsonNode? result, DateTimeOffset at) => new(OutcomeKind.Completed, result, null, TimeSpan.Zero, at);

    public static Outcome Failed(GleitzeitError error, JsonNode? result, DateTimeOffset at) => new(OutcomeKind.Failed, result, error, TimeSpan.Zero, at);

    public static Outcome Retry(GleitzeitError error, TimeSpan delay, DateTimeOffset at) => new(OutcomeKind.Retry, null, error, delay, at);

    /// <summary>A human task's attempt returned its request: the task waits for a person.</summary>
    public static Outcome Waiting(JsonNode? request, DateTimeOffset at) => new(OutcomeKind.Waiting, request, null, TimeSpan.Zero, at);

    public static Outcome Cancelled(DateTimeOffset at) => new(OutcomeKind.Cancelled, null, null, TimeSpan.Zero, at);

    /// <summary>No call was made (a rate limit): queued again after <paramref name="delay"/>, the attempt uncounted.</summary>
    public static Outcome Deferred(TimeSpan delay, DateTimeOffset at) => new(OutcomeKind.Deferred, null, null, delay, at);
}
