namespace Gleitzeit.Core;

/// <summary>Engine-wide settings, bound by <c>services.AddGleitzeit(o => ...)</c> and validated on start.</summary>
public sealed class GleitzeitOptions
{
    /// <summary>Most tasks running at once across all runs of the engine. Default: 8.</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Limit for one task attempt when the task sets none. Default: 10 minutes. Null: no limit.</summary>
    public TimeSpan? DefaultTaskTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Retry policy for tasks that set none. Default: 3 attempts, 1 s doubling to at most 60 s, with jitter; only retryable errors.</summary>
    public RetryPolicy DefaultRetry { get; set; } = new();

    /// <summary>Resume every unfinished run found in the store when the host starts. Default: false.</summary>
    public bool ResumeUnfinishedRunsOnStart { get; set; }

    /// <summary>
    /// How long the lease on a run lasts without renewal. The owning engine renews it every third of this while it lives;
    /// another process may take a run over only after its lease expired (or, on the same machine, once the owning process
    /// has ended). Default: 30 seconds.
    /// </summary>
    public TimeSpan RunLeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest workflow file the loader reads. Default: 4 MiB.</summary>
    public int MaxWorkflowFileBytes { get; set; } = 4 * 1024 * 1024;
}
