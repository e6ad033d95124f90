using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Execution;

/// <summary>Per-run choices for <see cref="ExecutionEngine.RunAsync"/> and <see cref="ExecutionEngine.SubmitAsync"/>.</summary>
public sealed record RunOptions
{
    /// <summary>Run id to use instead of a generated one.</summary>
    public string? WorkflowId { get; init; }

    /// <summary>Input values overriding the workflow's defaults (<c>${inputs.NAME}</c>).</summary>
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>A budget for this run, replacing the workflow's <c>budget:</c>; null keeps the workflow's.</summary>
    public Cost.WorkflowBudget? Budget { get; init; }

    /// <summary>True: the result cache is neither read nor written by this run (CLI <c>--no-cache</c>).</summary>
    public bool NoCache { get; init; }
    /// <summary>The run that starts this one (a <c>workflow/run</c> task's run), stored as <see cref="WorkflowRun.ParentId"/>.</summary>
    public string? ParentId { get; init; }

    /// <summary>Called for every event of the run, on the thread that raised it; keep it short and do not block.</summary>
    public Action<WorkflowEvent>? OnEvent { get; init; }
}
