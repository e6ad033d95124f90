using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>One task of a workflow: a JSON-RPC method call on a protocol, with parameters and dependencies.</summary>
public sealed record WorkflowTask
{
    /// <summary>The task's id, unique in its workflow; other tasks reference its result as <c>${id...}</c>.</summary>
    public required string Id { get; init; }

    /// <summary>Display name; defaults to the id.</summary>
    public string? Name { get; init; }

    /// <summary>Protocol id such as <c>llm/v1</c>; inferred from the method when absent.</summary>
    public required string Protocol { get; init; }

    /// <summary>Method such as <c>llm/chat</c>, <c>python/execute</c> or <c>tool.echo</c>.</summary>
    public required string Method { get; init; }

    /// <summary>The method's parameters; string values may contain <c>${...}</c> references, resolved before the call.</summary>
    public JsonObject Parameters { get; init; } = new();

    /// <summary>Ids of the tasks that must complete before this one starts.</summary>
    public IReadOnlyList<string> Dependencies { get; init; } = [];

    /// <summary>Larger runs first among ready tasks. See <see cref="TaskPriority"/> for the named levels.</summary>
    public int Priority { get; init; } = TaskPriority.Normal;

    /// <summary>Limit for one attempt; null takes the engine default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Retry policy; null takes the engine default.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Which configured provider instance serves this task (e.g. which MCP server); null lets the registry route by protocol.</summary>
    public string? Provider { get; init; }

    /// <summary>Result cache for this task (<c>cache:</c>); null takes the workflow's default. See <see cref="Cost.TaskCachePolicy"/>.</summary>
    public Cost.TaskCachePolicy? Cache { get; init; }

    /// <summary>
    /// Makes this a foreach task: the list its items are made from, either a literal <see cref="JsonArray"/> or a string
    /// that is exactly one reference to a list (<c>${plan.result}</c>). At run time the task expands into one item per
    /// element (<c>id[0]</c>, <c>id[1]</c>, ...), each reading its element as <c>${item}</c> and its position as
    /// <c>${index}</c>; null for an ordinary task.
    /// </summary>
    public JsonNode? ForEach { get; init; }

    /// <summary>Most items of this foreach task running at once; null for no bound of its own.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>
    /// Condition checked when the dependencies are finished (YAML <c>when:</c>), e.g. <c>${review.score} >= 8</c>; false skips the
    /// task with <see cref="GleitzeitErrorCode.TaskConditionFalse"/>, which does not fail the run. Null: always runs.
    /// </summary>
    public string? When { get; init; }

    /// <summary>Whether the task needs every dependency completed (the default) or any one (YAML <c>join:</c>).</summary>
    public JoinMode Join { get; init; } = JoinMode.All;

    /// <summary>Runs the task again until a condition holds (YAML <c>loop:</c>); null runs it once.</summary>
    public TaskLoop? Loop { get; init; }

    /// <summary>The task's name, or its id when it has none.</summary>
    public string DisplayName => Name ?? Id;

    /// <summary>The dependencies without repeats; no set is built for the common case of one or none.</summary>
    internal IReadOnlyList<string> DistinctDependencies()
    {
        if (Dependencies.Count <= 1) return Dependencies;
        if (Dependencies.Count <= 8)
        {
            // A few dependencies: compared pairwise, and the list itself returned when there is no repeat (the usual case).
            for (var i = 1; i < Dependencies.Count; i++)
            {
                for (var j = 0; j < i; j++)
                {
                    if (string.Equals(Dependencies[i], Dependencies[j], StringComparison.Ordinal)) return Dependencies.Distinct(StringComparer.Ordinal).ToList();
                }
            }
            return Dependencies;
        }
        return Dependencies.Distinct(StringComparer.Ordinal).ToList();
    }
}
