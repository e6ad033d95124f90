using System.Diagnostics;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Core.Execution;

// Leases: one process owns a running run at a time. The engine takes a run's lease in the store before it starts or
// resumes it, renews the leases of its active runs on a heartbeat (driven by its TimeProvider), and releases a lease when
// the run ends or is interrupted. A resume of a run whose lease another live owner holds is refused, naming the owner.
public sealed partial class ExecutionEngine
{
    private static readonly string Host = Environment.MachineName;
    private readonly string _leaseOwner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private ITimer? _heartbeat;
    private int _beating;

    private RunLease NewLease() => new(_leaseOwner, Host, Environment.ProcessId, _time.GetUtcNow() + _options.RunLeaseDuration);

    /// <summary>Takes the run's lease, or throws WORKFLOW_LEASED naming the live owner. An owner on this machine whose process
    /// has ended is taken over at once (a crashed CLI need not wait for its lease to expire).</summary>
    private async ValueTask TakeLeaseAsync(string workflowId, CancellationToken cancellationToken)
    {
        var mine = NewLease();
        var held = await _store.AcquireLeaseAsync(workflowId, mine, _time.GetUtcNow(), null, cancellationToken).ConfigureAwait(false);
        if (held.Owner == mine.Owner) return;
        if (HasEnded(held))
        {
            held = await _store.AcquireLeaseAsync(workflowId, mine, _time.GetUtcNow(), held.Owner, cancellationToken).ConfigureAwait(false);
            if (held.Owner == mine.Owner)
            {
                LogLeaseTakenOver(workflowId, held.Owner);
                return;
            }
        }
        throw new GleitzeitException(GleitzeitErrorCode.WorkflowLeased,
            $"Run '{workflowId}' is being executed by another process (host {held.Host}, pid {held.ProcessId}); its lease runs until " +
            $"{held.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC and is renewed while that process lives. Resuming it here would run its tasks twice: " +
            "wait for that process to finish it, or stop that process (Ctrl+C leaves the run interrupted, to be resumed).");
    }

    /// <summary>True when the lease's owner is a process of this machine that no longer runs.</summary>
    private static bool HasEnded(RunLease lease)
    {
        if (!string.Equals(lease.Host, Host, StringComparison.OrdinalIgnoreCase) || lease.ProcessId == Environment.ProcessId) return false;
        try
        {
            using var process = Process.GetProcessById(lease.ProcessId);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private async ValueTask ReleaseLeaseAsync(string workflowId)
    {
        try
        {
            await _store.ReleaseLeaseAsync(workflowId, _leaseOwner, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The lease then expires on its own (or is taken over once this process has ended).
            LogLeaseWriteFailed(workflowId, ex);
        }
    }

    /// <summary>Starts the heartbeat with the first run; it renews every active run's lease every third of the lease's duration.</summary>
    private void EnsureHeartbeat()
    {
        if (_heartbeat is not null) return;
        lock (_gate)
        {
            if (_heartbeat is not null || _disposed) return;
            var period = _options.RunLeaseDuration / 3;
            _heartbeat = _time.CreateTimer(static s => _ = ((ExecutionEngine)s!).RenewLeasesAsync(), this, period, period);
        }
    }

    /// <summary><c>CancelAsync</c> (or <c>gleitzeit workflow cancel</c>) in another process marks a run cancelled in the store;
    /// the owner sees it on its next heartbeat and cancels the run here too, so it ends cancelled instead of running on.</summary>
    private async Task StopIfCancelledElsewhereAsync(RunState run)
    {
        WorkflowRun? stored;
        try
        {
            stored = await _store.GetRunAsync(run.Id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogLeaseWriteFailed(run.Id, ex);
            return;
        }
        if (stored?.Status == WorkflowStatus.Cancelled && run.StopReason == StopReason.None)
        {
            await StopAsync(run, StopReason.Cancelled, null).ConfigureAwait(false);
            return;
        }
        // An answer recorded by another process (gleitzeit workflow approve, an API elsewhere) reaches the owner here.
        if (stored is not null) await ApplyStoredDecisionsAsync(run, stored).ConfigureAwait(false);
    }

    private async Task RenewLeasesAsync()
    {
        if (Interlocked.Exchange(ref _beating, 1) == 1) return;
        try
        {
            foreach (var run in _active.Values)
            {
                if (run.Ending || run.StopReason is StopReason.LeaseLost) continue;
                RunLease held;
                try
                {
                    held = await _store.AcquireLeaseAsync(run.Id, NewLease(), _time.GetUtcNow(), null, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    LogLeaseWriteFailed(run.Id, ex);
                    continue;
                }
                if (held.Owner == _leaseOwner)
                {
                    await StopIfCancelledElsewhereAsync(run).ConfigureAwait(false);
                    continue;
                }
                // This process missed its renewals (suspended, clock jumped) and another took the run over: stop here, write nothing.
                LogLeaseLost(run.Id, $"host {held.Host}, pid {held.ProcessId}");
                await StopAsync(run, StopReason.LeaseLost, null).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _beating, 0);
        }
    }
}
