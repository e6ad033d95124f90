using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>One write queued to the <see cref="SqliteWriter"/>.</summary>
internal abstract class WriteOp
{
    public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether a caller that finds the writer idle may commit this write on its own thread (the default);
    /// false keeps it on the writer thread.</summary>
    public virtual bool MayCommitOnCaller => true;

    /// <summary>Applies the write inside the writer's open transaction; throws <see cref="GleitzeitException"/> before writing anything when refused.</summary>
    public abstract int Apply(SqliteStatements statements);

    protected static GleitzeitException NotFound(string runId) => new(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{runId}'.");
}
