namespace Gleitzeit.Core.Persistence;

/// <summary>A filter for <see cref="IWorkflowHistory.ListRunsAsync"/>.</summary>
public sealed record RunQuery
{
    /// <summary>Only runs in one of these states (any when empty).</summary>
    public IReadOnlyList<WorkflowStatus> Statuses { get; init; } = [];

    /// <summary>Only runs of the workflow with exactly this name.</summary>
    public string? Name { get; init; }

    /// <summary>Most runs returned (a page's size).</summary>
    public int Limit { get; init; } = 100;

    /// <summary>Runs skipped before the first one returned.</summary>
    public int Offset { get; init; }

    /// <summary>
    /// Keyset paging: only runs listed after the run with this id (older than it, in the listing order), so a page costs
    /// the same however deep it is. Pass the last id of the previous page; an id no longer stored gives an empty page.
    /// Applied before <see cref="Offset"/>.
    /// </summary>
    public string? After { get; init; }
}
