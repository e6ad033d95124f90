using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Sqlite.Writing;

internal sealed class SaveTasksOp : WriteOp
{
    private readonly string _runId;
    private readonly TaskRow[] _rows;

    public SaveTasksOp(string runId, IReadOnlyList<TaskResult> tasks, DateTimeOffset now)
    {
        _runId = runId;
        _rows = new TaskRow[tasks.Count];
        for (var i = 0; i < _rows.Length; i++) _rows[i] = new TaskRow(tasks[i], now);
    }

    public override int Apply(SqliteStatements statements)
    {
        // The common case updates a row that CreateRun wrote; that the update hit a row also proves the run exists.
        var runKnown = false;
        int? next = null;
        for (var i = 0; i < _rows.Length; i++)
        {
            ref readonly var row = ref _rows[i];
            // A task stored twice in a row (queued, then running: the engine's direct start) has its row written once, with
            // the later state; both states still enter the history.
            if (i + 1 < _rows.Length && _rows[i + 1].TaskId == row.TaskId) continue;
            if (!statements.UpdateTask(_runId, row))
            {
                if (!runKnown && !statements.RunExists(_runId)) throw NotFound(_runId);
                // New rows (a foreach task's items) go after the run's last task; the position is read once per write,
                // not once per row, so that storing an expansion of n items costs O(n).
                next ??= statements.NextPosition(_runId);
                statements.InsertTask(_runId, row, next++);
            }
            runKnown = true;
        }
        if (!runKnown && !statements.RunExists(_runId)) throw NotFound(_runId);
        // Every row's event, in order, a few to a statement: after the rows, so a refused write stores no event.
        statements.InsertEvents(_runId, _rows);
        return _rows.Length;
    }
}
