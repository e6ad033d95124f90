namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>A write of its own (the result cache's), applied in the writer's turn inside its transaction.</summary>
internal sealed class SqlOp(Func<SqliteStatements, int> apply) : WriteOp
{
    public override int Apply(SqliteStatements statements) => apply(statements);
}
