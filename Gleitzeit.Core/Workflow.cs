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

    /// <summary>The workflow's name (runs of it are listed and queried by it).</summary>
    public required string Name { get; init; }

    /// <summary>Free text describing what the workflow does.</summary>
    public string? Description { get; init; }

    /// <summary>The workflow's version label, if it has one.</summary>
    public string? Version { get; init; }

    /// <summary>Tasks in definition order.</summary>
    public IReadOnlyList<WorkflowTask> Tasks { get; init; } = [];

    /// <summary>Limit for the whole run; tasks still running when it expires are cancelled and the run fails with WORKFLOW_TIMEOUT.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Most tasks of this workflow running at once; null means only the engine-wide bound applies.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>Named inputs with their defaults, read through <c>${inputs.NAME}</c>.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>
    /// The workflow's result: output names to templates (usually one reference each, <c>${merge.result}</c>), resolved
    /// against the tasks' results when the run completes (<see cref="WorkflowRun.Outputs"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> Outputs { get; init; } = new Dictionary<string, string>();

    /// <summary>Directory that relative file paths in parameters resolve against (the YAML file's base directory).</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>What the run may spend on LLM calls (<c>budget:</c>); null for no limit. See <see cref="Cost.WorkflowBudget"/>.</summary>
    public Cost.WorkflowBudget? Budget { get; init; }

    /// <summary>
    /// Default result cache for its tasks (<c>cache:</c>); a task's own <see cref="WorkflowTask.Cache"/> wins. The default
    /// does not apply to <c>python/v1</c> and <c>human/v1</c> tasks: they are cached only when they ask themselves.
    /// </summary>
    public Cost.TaskCachePolicy? Cache { get; init; }

    /// <summary>Set by <see cref="Execution.RunOptions.NoCache"/> (CLI <c>--no-cache</c>): no task of the run reads or writes the cache.</summary>
    public bool CacheDisabled { get; init; }

    /// <summary>The run this run retries (<see cref="Execution.ExecutionEngine.RetryAsync"/>), when it is a retry.</summary>
    public string? RetryOf { get; init; }

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
