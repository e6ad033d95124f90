using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>One write queued to the <see cref="SqliteWriter"/>.</summary>
internal abstract class WriteOp
{
    public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Applies the write inside the writer's open transaction; throws <see cref="GleitzeitException"/> before writing anything when refused.</summary>
    public abstract int Apply(SqliteStatements statements);

    protected static GleitzeitException NotFound(string runId) => new(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{runId}'.");
}
