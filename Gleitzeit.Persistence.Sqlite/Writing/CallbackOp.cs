namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>Runs a callback in the writer's turn, inside its transaction (tests hold the writer with it).</summary>
internal sealed class CallbackOp(Action callback) : WriteOp
{
    public override int Apply(SqliteStatements statements)
    {
        callback();
        return 0;
    }
}
