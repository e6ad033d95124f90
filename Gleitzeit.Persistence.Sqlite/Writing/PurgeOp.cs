namespace Gleitzeit.Persistence.Sqlite.Writing;

internal sealed class PurgeOp(DateTimeOffset olderThan) : WriteOp
{
    private const string Old = "SELECT id FROM runs WHERE status IN ('completed', 'failed', 'cancelled') AND COALESCE(completed_at, created_at) < $cutoff";

    public override int Apply(SqliteStatements statements)
    {
        var cutoff = ("$cutoff", (object)olderThan.UtcTicks);
        statements.Execute($"DELETE FROM tasks WHERE run_id IN ({Old})", cutoff);
        statements.Execute($"DELETE FROM events WHERE run_id IN ({Old})", cutoff);
        statements.Execute($"DELETE FROM leases WHERE run_id IN ({Old})", cutoff);
        return statements.Execute("DELETE FROM runs WHERE status IN ('completed', 'failed', 'cancelled') AND COALESCE(completed_at, created_at) < $cutoff", cutoff);
    }
}
