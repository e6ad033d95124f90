using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>Records a waiting task's decision only while the task is stored waiting: the read and the write are one step
/// of the writer's transaction (BEGIN IMMEDIATE), so two processes answering the same task at once record one answer.</summary>
internal sealed class SaveAnswerOp(string runId, TaskResult decided, DateTimeOffset now) : WriteOp
{
    private readonly TaskRow _row = new(decided, now);

    /// <summary>True when the decision was stored.</summary>
    public bool Recorded { get; private set; }

    public override int Apply(SqliteStatements statements)
    {
        if (!statements.RunExists(runId)) throw NotFound(runId);
        if (statements.TaskStatus(runId, decided.TaskId) != StatusNames.Of(WorkflowTaskStatus.Waiting))
        {
            Recorded = false;
            return 0;
        }
        statements.UpdateTask(runId, _row);
        statements.InsertEvent(runId, _row);
        Recorded = true;
        return 1;
    }
}
