using Gleitzeit.Core;
using Microsoft.Data.Sqlite;

namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>
/// The writer's prepared statements on its connection, each one write to the tables. Used only on the writer's thread,
/// inside its open transaction.
/// </summary>
internal sealed class SqliteStatements : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _begin, _commit, _runExists, _insertRun, _updateRun, _insertTask, _updateTask, _nextPosition, _insertEvent;

    /// <summary>Inserts of 2 to <see cref="MaxEventsPerInsert"/> events in one statement, by count; prepared when first used.</summary>
    private readonly SqliteCommand?[] _insertEvents = new SqliteCommand?[MaxEventsPerInsert + 1];

    /// <summary>The most events one statement inserts (a chain task's write has three: completed, queued, running).</summary>
    internal const int MaxEventsPerInsert = 4;

    public SqliteStatements(SqliteConnection connection)
    {
        _connection = connection;
        _begin = Prepare("BEGIN IMMEDIATE");
        _commit = Prepare("COMMIT");
        _runExists = Prepare("SELECT 1 FROM runs WHERE id = $run", "$run");
        _insertRun = Prepare("""
            INSERT INTO runs (id, name, status, created_at, started_at, completed_at, error, task_count, definition, inputs, parent_id)
            VALUES ($run, $name, $status, $created, $started, $completed, $error, $count, $definition, $inputs, $parent)
            """, "$run", "$name", "$status", "$created", "$started", "$completed", "$error", "$count", "$definition", "$inputs", "$parent");
        _updateRun = Prepare("""
            UPDATE runs SET
                status = $status,
                started_at = CASE WHEN $running THEN COALESCE(started_at, $at) ELSE started_at END,
                completed_at = CASE WHEN $running THEN NULL WHEN $finished THEN $at ELSE completed_at END,
                error = CASE WHEN $running THEN $error ELSE COALESCE($error, error) END
            WHERE id = $run
            """, "$status", "$running", "$finished", "$at", "$error", "$run");
        _insertTask = Prepare("""
            INSERT INTO tasks (run_id, task_id, position, status, result, error, attempts, started_at, completed_at, loop, cached)
            VALUES ($run, $task, $position, $status, $result, $error, $attempts, $started, $completed, $loop, $cached)
            """, "$run", "$task", "$position", "$status", "$result", "$error", "$attempts", "$started", "$completed", "$loop", "$cached");
        _updateTask = Prepare("""
            UPDATE tasks SET status = $status, result = $result, error = $error, attempts = $attempts, started_at = $started, completed_at = $completed, loop = $loop, cached = $cached
            WHERE run_id = $run AND task_id = $task
            """, "$status", "$result", "$error", "$attempts", "$started", "$completed", "$loop", "$cached", "$run", "$task");
        _nextPosition = Prepare("SELECT COALESCE(MAX(position) + 1, 0) FROM tasks WHERE run_id = $run", "$run");
        _insertEvent = Prepare("INSERT INTO events (run_id, task_id, status, at, attempt, error) VALUES ($run, $task, $status, $at, $attempt, $error)",
            "$run", "$task", "$status", "$at", "$attempt", "$error");
    }

    /// <summary>Opens the writer's transaction (taking the file's write lock now, not at the first write).</summary>
    public void Begin() => _begin.ExecuteNonQuery();

    /// <summary>Commits the writer's transaction.</summary>
    public void Commit() => _commit.ExecuteNonQuery();

    public bool RunExists(string runId)
    {
        _runExists.Parameters[0].Value = runId;
        return _runExists.ExecuteScalar() is not null;
    }

    public void InsertRun(WorkflowRun run, string? definition, string inputs, string? error, int taskCount)
    {
        Set(_insertRun, run.WorkflowId, run.Name, StatusNames.Of(run.Status), run.CreatedAt.UtcTicks, TaskRow.Ticks(run.StartedAt), TaskRow.Ticks(run.CompletedAt),
            error, taskCount, definition, inputs, run.ParentId);
        _insertRun.ExecuteNonQuery();
    }

    public bool UpdateRun(string runId, WorkflowStatus status, long at, string? error)
    {
        var running = status == WorkflowStatus.Running;
        var finished = status is WorkflowStatus.Completed or WorkflowStatus.Failed or WorkflowStatus.Cancelled;
        Set(_updateRun, StatusNames.Of(status), running, finished, at, error, runId);
        return _updateRun.ExecuteNonQuery() > 0;
    }

    /// <summary>Updates an existing task row; false when the run has no row for that task.</summary>
    public bool UpdateTask(string runId, in TaskRow row)
    {
        Set(_updateTask, row.Status, row.Result, row.Error, row.Attempts, row.StartedAt, row.CompletedAt, row.Loop, row.Cached, runId, row.TaskId);
        return _updateTask.ExecuteNonQuery() > 0;
    }

    /// <summary>The position after the run's last task.</summary>
    public int NextPosition(string runId)
    {
        _nextPosition.Parameters[0].Value = runId;
        return Convert.ToInt32(_nextPosition.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Inserts a task row; at <paramref name="position"/>, or after the run's last task when null.</summary>
    public void InsertTask(string runId, in TaskRow row, int? position = null)
    {
        if (position is null)
        {
            _nextPosition.Parameters[0].Value = runId;
            position = Convert.ToInt32(_nextPosition.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        Set(_insertTask, runId, row.TaskId, position, row.Status, row.Result, row.Error, row.Attempts, row.StartedAt, row.CompletedAt, row.Loop, row.Cached);
        _insertTask.ExecuteNonQuery();
    }

    public void InsertEvent(string runId, in TaskRow row) => InsertEvent(runId, row.TaskId, row.Status, row.EventAt, row.Attempts, row.Error);

    /// <summary>Inserts every row's event, in their order, one statement per <see cref="MaxEventsPerInsert"/> rows.</summary>
    public void InsertEvents(string runId, TaskRow[] rows)
    {
        for (int from = 0, count = rows.Length; count > 0;)
        {
            var n = Math.Min(count, MaxEventsPerInsert);
            if (n == 1) InsertEvent(runId, rows[from]);
            else
            {
                var command = _insertEvents[n] ??= PrepareEvents(n);
                var parameters = command.Parameters;
                parameters[0].Value = runId;
                for (var i = 0; i < n; i++)
                {
                    ref readonly var row = ref rows[from + i];
                    var at = 1 + i * 5;
                    parameters[at].Value = row.TaskId;
                    parameters[at + 1].Value = row.Status;
                    parameters[at + 2].Value = row.EventAt;
                    parameters[at + 3].Value = row.Attempts;
                    parameters[at + 4].Value = (object?)row.Error ?? DBNull.Value;
                }
                command.ExecuteNonQuery();
            }
            from += n;
            count -= n;
        }
    }

    private SqliteCommand PrepareEvents(int count)
    {
        var names = new List<string>(1 + count * 5) { "$run" };
        var values = new string[count];
        for (var i = 0; i < count; i++)
        {
            names.AddRange([$"$task{i}", $"$status{i}", $"$at{i}", $"$attempt{i}", $"$error{i}"]);
            values[i] = $"($run, $task{i}, $status{i}, $at{i}, $attempt{i}, $error{i})";
        }
        return Prepare("INSERT INTO events (run_id, task_id, status, at, attempt, error) VALUES " + string.Join(", ", values), [.. names]);
    }

    public void InsertEvent(string runId, string? taskId, string status, long at, int attempt, string? error)
    {
        Set(_insertEvent, runId, taskId, status, at, attempt, error);
        _insertEvent.ExecuteNonQuery();
    }

    /// <summary>The lease held on a run, or null.</summary>
    /// <summary>A task's stored status name, or null when the run has no such task.</summary>
    public string? TaskStatus(string runId, string taskId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT status FROM tasks WHERE run_id = $run AND task_id = $task";
        command.Parameters.AddWithValue("$run", runId);
        command.Parameters.AddWithValue("$task", taskId);
        return command.ExecuteScalar() as string;
    }

    public Core.Persistence.RunLease? ReadLease(string runId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT owner, host, pid, expires_at FROM leases WHERE run_id = $run";
        command.Parameters.AddWithValue("$run", runId);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        return new Core.Persistence.RunLease(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero));
    }

    public int Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command.ExecuteNonQuery();
    }

    public string? Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var p in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = p });
        command.Prepare();
        return command;
    }

    private static void Set(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
    }

    public void Dispose()
    {
        foreach (var c in new[] { _begin, _commit, _runExists, _insertRun, _updateRun, _insertTask, _updateTask, _nextPosition, _insertEvent }) c.Dispose();
        foreach (var c in _insertEvents) c?.Dispose();
    }
}
