namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>Reads a pragma on the writer's connection (tests check the connection's settings with it).</summary>
internal sealed class PragmaOp(string name) : WriteOp
{
    public string? Value { get; private set; }

    public override int Apply(SqliteStatements statements)
    {
        Value = statements.Scalar($"PRAGMA {name}");
        return 0;
    }
}
