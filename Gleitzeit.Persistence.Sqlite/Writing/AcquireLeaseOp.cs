using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>Takes or renews a run's lease inside the writer's transaction (BEGIN IMMEDIATE): the read and the write are one
/// atomic step, also against other processes writing the same file.</summary>
internal sealed class AcquireLeaseOp(string runId, RunLease lease, DateTimeOffset now, string? takeOverFrom) : WriteOp
{
    /// <summary>The lease in force after the write: <c>lease</c> when taken, else the holder's.</summary>
    public RunLease? InForce { get; private set; }

    public override int Apply(SqliteStatements statements)
    {
        var held = statements.ReadLease(runId);
        if (held is not null && held.Owner != lease.Owner && held.ExpiresAt > now && held.Owner != takeOverFrom)
        {
            InForce = held;
            return 0;
        }
        statements.Execute("""
            INSERT INTO leases (run_id, owner, host, pid, expires_at) VALUES ($run, $owner, $host, $pid, $expires)
            ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, expires_at = excluded.expires_at
            """, ("$run", runId), ("$owner", lease.Owner), ("$host", lease.Host), ("$pid", lease.ProcessId), ("$expires", lease.ExpiresAt.UtcTicks));
        InForce = lease;
        return 1;
    }
}
