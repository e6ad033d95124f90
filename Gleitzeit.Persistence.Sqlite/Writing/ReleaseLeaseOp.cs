namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>Releases a run's lease when the given owner holds it.</summary>
internal sealed class ReleaseLeaseOp(string runId, string owner) : WriteOp
{
    public override int Apply(SqliteStatements statements) =>
        statements.Execute("DELETE FROM leases WHERE run_id = $run AND owner = $owner", ("$run", runId), ("$owner", owner));
}
