using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Sqlite.Writing;

internal sealed class UpdateRunStatusOp(string runId, WorkflowStatus status, DateTimeOffset at, GleitzeitError? error) : WriteOp
{
    private readonly string? _error = TaskRow.Json(error);

    public override int Apply(SqliteStatements statements)
    {
        if (!statements.UpdateRun(runId, status, at.UtcTicks, _error)) throw NotFound(runId);
        statements.InsertEvent(runId, null, StatusNames.Of(status), at.UtcTicks, 0, _error);
        return 1;
    }
}
