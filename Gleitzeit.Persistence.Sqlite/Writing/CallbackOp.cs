namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>Runs a callback in the writer's turn, inside its transaction (tests hold the writer with it).</summary>
internal sealed class CallbackOp(Action callback) : WriteOp
{
    /// <summary>Always on the writer thread: a callback that blocks (a test holding the writer) must not block its caller.</summary>
    public override bool MayCommitOnCaller => false;

    public override int Apply(SqliteStatements statements)
    {
        callback();
        return 0;
    }
}
