using Gleitzeit.Core.Execution;

namespace Gleitzeit.Dashboard;

/// <summary>Settings of the dashboard mapped by <c>MapGleitzeitDashboard</c>. Every property has a working default.</summary>
public sealed class DashboardOptions
{
    /// <summary>Runs per page of the runs list when the request names no <c>limit</c>. Default 50.</summary>
    public int PageSize { get; set; } = 50;

    /// <summary>The largest <c>limit</c> a request of the runs list may ask for. Default 500.</summary>
    public int MaxPageSize { get; set; } = 500;

    /// <summary>
    /// A task result longer than this (in characters of compact JSON) is not inlined in the task panel: the page shows its
    /// beginning and a link to download the whole result, so a huge answer never stalls the browser. Default 100,000.
    /// </summary>
    public int MaxInlineResultLength { get; set; } = 100_000;

    /// <summary>
    /// How often a live page re-reads a run that no runner here can stream (a run executed by another process over the same
    /// store). Runs of this process's engine, and runs a <see cref="RunnerSelector"/> streams, are pushed as they change,
    /// without reading the store periodically. Default 1 second.
    /// </summary>
    public TimeSpan StorePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Picks the runner that owns a run (streams its events, cancels it). Null: the <see cref="ExecutionEngine"/> registered
    /// in the application's services. Set it when runs also execute elsewhere, e.g. to return the keyed Redis runner for runs
    /// queued for Redis workers.
    /// </summary>
    public Func<string, CancellationToken, Task<IWorkflowRunner>>? RunnerSelector { get; set; }

    /// <summary>The clock for durations and polling. Null: the <see cref="TimeProvider"/> registered, else the system clock.</summary>
    public TimeProvider? TimeProvider { get; set; }
}
