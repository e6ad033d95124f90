using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Persistence.Sqlite;

/// <summary>
/// Group commit: every write of the store is queued here; one thread takes everything queued, applies it in one
/// transaction, commits, and only then completes each caller. A caller's write is therefore durable when its
/// ValueTask completes, and concurrent writers share the cost of a commit instead of paying one each.
/// </summary>
internal sealed partial class SqliteWriter : IDisposable
{
    private readonly BlockingCollection<WriteOp> _queue = new(new ConcurrentQueue<WriteOp>());
    private readonly SqliteConnection _connection;
    private readonly string _path;
    private readonly int _maxBatch;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private long _commits;
    private readonly SqliteCommand _runExists, _insertRun, _updateRun, _insertTask, _updateTask, _nextPosition, _insertEvent;

    public SqliteWriter(SqliteConnection connection, string path, int maxBatch, ILogger logger)
    {
        _connection = connection;
        _path = path;
        _maxBatch = maxBatch;
        _logger = logger;
        _runExists = Prepare("SELECT 1 FROM runs WHERE id = $run", "$run");
        _insertRun = Prepare("""
            INSERT INTO runs (id, name, status, created_at, started_at, completed_at, error, task_count, definition, inputs)
            VALUES ($run, $name, $status, $created, $started, $completed, $error, $count, $definition, $inputs)
            """, "$run", "$name", "$status", "$created", "$started", "$completed", "$error", "$count", "$definition", "$inputs");
        _updateRun = Prepare("""
            UPDATE runs SET
                status = $status,
                started_at = CASE WHEN $running THEN COALESCE(started_at, $at) ELSE started_at END,
                completed_at = CASE WHEN $running THEN NULL WHEN $finished THEN $at ELSE completed_at END,
                error = CASE WHEN $running THEN $error ELSE COALESCE($error, error) END
            WHERE id = $run
            """, "$status", "$running", "$finished", "$at", "$error", "$run");
        _insertTask = Prepare("""
            INSERT INTO tasks (run_id, task_id, position, status, result, error, attempts, started_at, completed_at)
            VALUES ($run, $task, $position, $status, $result, $error, $attempts, $started, $completed)
            """, "$run", "$task", "$position", "$status", "$result", "$error", "$attempts", "$started", "$completed");
        _updateTask = Prepare("""
            UPDATE tasks SET status = $status, result = $result, error = $error, attempts = $attempts, started_at = $started, completed_at = $completed
            WHERE run_id = $run AND task_id = $task
            """, "$status", "$result", "$error", "$attempts", "$started", "$completed", "$run", "$task");
        _nextPosition = Prepare("SELECT COALESCE(MAX(position) + 1, 0) FROM tasks WHERE run_id = $run", "$run");
        _insertEvent = Prepare("INSERT INTO events (run_id, task_id, status, at, attempt, error) VALUES ($run, $task, $status, $at, $attempt, $error)",
            "$run", "$task", "$status", "$at", "$attempt", "$error");
        _thread = new Thread(Loop) { IsBackground = true, Name = "Gleitzeit SQLite writer" };
        _thread.Start();
    }

    /// <summary>Queues a write; the task completes after the transaction holding it committed.</summary>
    public Task<int> EnqueueAsync(WriteOp op)
    {
        try
        {
            _queue.Add(op);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(SqliteWorkflowStore), $"The SQLite store for '{_path}' is disposed.");
        }
        return op.Completion.Task;
    }

    /// <summary>Transactions committed so far.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Stops taking writes, commits what is queued, and waits for the writer thread.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        foreach (var c in new[] { _runExists, _insertRun, _updateRun, _insertTask, _updateTask, _nextPosition, _insertEvent }) c.Dispose();
        _queue.Dispose();
    }

    private void Loop()
    {
        var batch = new List<WriteOp>();
        foreach (var first in _queue.GetConsumingEnumerable())
        {
            batch.Add(first);
            while (batch.Count < _maxBatch && _queue.TryTake(out var more)) batch.Add(more);
            try
            {
                Commit(batch);
            }
            catch (Exception ex)
            {
                // Never let the writer thread die: fail what is left of the batch instead.
                foreach (var op in batch) op.Completion.TrySetException(ex);
            }
            batch.Clear();
        }
    }

    private void Commit(List<WriteOp> batch)
    {
        var outcomes = new (int Value, Exception? Error)[batch.Count];
        var applying = false;
        try
        {
            SqliteSchema.Execute(_connection, "BEGIN IMMEDIATE");
            try
            {
                applying = true;
                for (var i = 0; i < batch.Count; i++) outcomes[i] = ApplyChecked(batch[i]);
                applying = false;
                SqliteSchema.Execute(_connection, "COMMIT");
                Interlocked.Increment(ref _commits);
            }
            catch
            {
                SqliteSchema.RollbackQuietly(_connection);
                throw;
            }
        }
        catch (SqliteException ex) when (applying && batch.Count > 1)
        {
            // One write broke the transaction: give each write its own transaction so only the broken ones fail.
            LogBatchRetried(_path, batch.Count, ex.Message);
            foreach (var op in batch) Commit([op]);
            return;
        }
        catch (SqliteException ex)
        {
            // The file refused the transaction itself (locked past the busy timeout, read-only, full): every write of
            // the batch fails with it; retrying them one by one would only wait out the timeout again for each.
            var error = SqliteErrors.Map(ex, _path, writing: true);
            for (var i = 0; i < outcomes.Length; i++) outcomes[i] = (0, error);
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i].Error is { } error) batch[i].Completion.TrySetException(error);
            else batch[i].Completion.TrySetResult(outcomes[i].Value);
        }
    }

    /// <summary>Applies one write. A refusal (unknown run, taken id) is detected before anything is written, so it
    /// fails that write alone and the batch goes on.</summary>
    private (int, Exception?) ApplyChecked(WriteOp op)
    {
        try
        {
            return (op.Apply(this), null);
        }
        catch (GleitzeitException ex)
        {
            return (0, ex);
        }
    }

    // ------------------------------------------------------------------ statements

    internal bool RunExists(string runId)
    {
        _runExists.Parameters[0].Value = runId;
        return _runExists.ExecuteScalar() is not null;
    }

    internal void InsertRun(WorkflowRun run, string? definition, string inputs, string? error, int taskCount)
    {
        Set(_insertRun, run.WorkflowId, run.Name, StatusNames.Of(run.Status), run.CreatedAt.UtcTicks, TaskRow.Ticks(run.StartedAt), TaskRow.Ticks(run.CompletedAt),
            error, taskCount, definition, inputs);
        _insertRun.ExecuteNonQuery();
    }

    internal bool UpdateRun(string runId, WorkflowStatus status, long at, string? error)
    {
        var running = status == WorkflowStatus.Running;
        var finished = status is WorkflowStatus.Completed or WorkflowStatus.Failed or WorkflowStatus.Cancelled;
        Set(_updateRun, StatusNames.Of(status), running, finished, at, error, runId);
        return _updateRun.ExecuteNonQuery() > 0;
    }

    /// <summary>Updates an existing task row; false when the run has no row for that task.</summary>
    internal bool UpdateTask(string runId, in TaskRow row)
    {
        Set(_updateTask, row.Status, row.Result, row.Error, row.Attempts, row.StartedAt, row.CompletedAt, runId, row.TaskId);
        return _updateTask.ExecuteNonQuery() > 0;
    }

    /// <summary>Inserts a task row; at <paramref name="position"/>, or after the run's last task when null.</summary>
    internal void InsertTask(string runId, in TaskRow row, int? position = null)
    {
        if (position is null)
        {
            _nextPosition.Parameters[0].Value = runId;
            position = Convert.ToInt32(_nextPosition.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        Set(_insertTask, runId, row.TaskId, position, row.Status, row.Result, row.Error, row.Attempts, row.StartedAt, row.CompletedAt);
        _insertTask.ExecuteNonQuery();
    }

    internal void InsertEvent(string runId, in TaskRow row) => InsertEvent(runId, row.TaskId, row.Status, row.EventAt, row.Attempts, row.Error);

    internal void InsertEvent(string runId, string? taskId, string status, long at, int attempt, string? error)
    {
        Set(_insertEvent, runId, taskId, status, at, attempt, error);
        _insertEvent.ExecuteNonQuery();
    }

    internal int Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command.ExecuteNonQuery();
    }

    internal string? Scalar(string sql)
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


    [LoggerMessage(1, LogLevel.Debug, "SQLite store {Path}: a batch of {Count} writes failed ({Message}); committing them one by one")]
    private partial void LogBatchRetried(string path, int count, string message);
}

/// <summary>One write queued to the <see cref="SqliteWriter"/>.</summary>
internal abstract class WriteOp
{
    public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Applies the write inside the writer's open transaction; throws <see cref="GleitzeitException"/> before writing anything when refused.</summary>
    public abstract int Apply(SqliteWriter writer);

    protected static GleitzeitException NotFound(string runId) => new(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{runId}'.");
}

internal sealed class CreateRunOp : WriteOp
{
    private readonly WorkflowRun _run;
    private readonly string? _definition;
    private readonly string _inputs;
    private readonly string? _error;
    private readonly TaskRow[] _tasks;

    /// <summary>Serializes on the caller's thread: the writer thread is the one serial part of the store.</summary>
    public CreateRunOp(WorkflowRun run, DateTimeOffset now)
    {
        _run = run;
        _definition = run.Workflow is { } wf ? StoreJson.ToJson(wf).ToJsonString() : null;
        _inputs = new JsonObject(run.Inputs.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))).ToJsonString();
        _error = TaskRow.Json(run.Error);
        var ids = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in run.Workflow?.Tasks ?? [])
        {
            if (seen.Add(t.Id)) ids.Add(t.Id);
        }
        foreach (var id in run.Tasks.Keys)
        {
            if (seen.Add(id)) ids.Add(id);
        }
        _tasks = ids.Select(id => new TaskRow(run.Tasks.TryGetValue(id, out var t) ? t : TaskResult.Pending(id), now)).ToArray();
    }

    public override int Apply(SqliteWriter writer)
    {
        if (writer.RunExists(_run.WorkflowId))
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowAlreadyExists, $"A run with id '{_run.WorkflowId}' already exists.");
        }
        writer.InsertRun(_run, _definition, _inputs, _error, _tasks.Length);
        for (var i = 0; i < _tasks.Length; i++) writer.InsertTask(_run.WorkflowId, _tasks[i], i);
        writer.InsertEvent(_run.WorkflowId, null, StatusNames.Of(_run.Status), _run.CreatedAt.UtcTicks, 0, null);
        return 1;
    }
}

internal sealed class UpdateRunStatusOp(string runId, WorkflowStatus status, DateTimeOffset at, GleitzeitError? error) : WriteOp
{
    private readonly string? _error = TaskRow.Json(error);

    public override int Apply(SqliteWriter writer)
    {
        if (!writer.UpdateRun(runId, status, at.UtcTicks, _error)) throw NotFound(runId);
        writer.InsertEvent(runId, null, StatusNames.Of(status), at.UtcTicks, 0, _error);
        return 1;
    }
}

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

    public override int Apply(SqliteWriter writer)
    {
        // The common case updates a row that CreateRun wrote; that the update hit a row also proves the run exists.
        var runKnown = false;
        foreach (var row in _rows)
        {
            if (!writer.UpdateTask(_runId, row))
            {
                if (!runKnown && !writer.RunExists(_runId)) throw NotFound(_runId);
                writer.InsertTask(_runId, row);
            }
            runKnown = true;
            writer.InsertEvent(_runId, row);
        }
        if (!runKnown && !writer.RunExists(_runId)) throw NotFound(_runId);
        return _rows.Length;
    }
}

/// <summary>A task state in the form the tables hold it, prepared on the caller's thread.</summary>
internal readonly record struct TaskRow
{
    public TaskRow(TaskResult task, DateTimeOffset now)
    {
        TaskId = task.TaskId;
        Status = StatusNames.Of(task.Status);
        Result = task.Result?.ToJsonString();
        Error = Json(task.Error);
        Attempts = task.Attempts;
        StartedAt = Ticks(task.StartedAt);
        CompletedAt = Ticks(task.CompletedAt);
        EventAt = (task.CompletedAt ?? task.StartedAt ?? now).UtcTicks;
    }

    public string TaskId { get; }
    public string Status { get; }
    public string? Result { get; }
    public string? Error { get; }
    public int Attempts { get; }
    public object? StartedAt { get; }
    public object? CompletedAt { get; }
    public long EventAt { get; }

    public static object? Ticks(DateTimeOffset? time) => time?.UtcTicks;

    public static string? Json(GleitzeitError? error) => error?.ToJson().ToJsonString();
}

/// <summary>Status names as stored (<see cref="StoreJson.StatusName(WorkflowTaskStatus)"/>), without an allocation per write.</summary>
internal static class StatusNames
{
    private static readonly string[] Tasks = Enum.GetValues<WorkflowTaskStatus>().Select(StoreJson.StatusName).ToArray();
    private static readonly string[] Runs = Enum.GetValues<WorkflowStatus>().Select(StoreJson.StatusName).ToArray();

    public static string Of(WorkflowTaskStatus status) => Tasks[(int)status];

    public static string Of(WorkflowStatus status) => Runs[(int)status];
}

/// <summary>Runs a callback in the writer's turn, inside its transaction (tests hold the writer with it).</summary>
internal sealed class CallbackOp(Action callback) : WriteOp
{
    public override int Apply(SqliteWriter writer)
    {
        callback();
        return 0;
    }
}

/// <summary>Reads a pragma on the writer's connection (tests check the connection's settings with it).</summary>
internal sealed class PragmaOp(string name) : WriteOp
{
    public string? Value { get; private set; }

    public override int Apply(SqliteWriter writer)
    {
        Value = writer.Scalar($"PRAGMA {name}");
        return 0;
    }
}

internal sealed class PurgeOp(DateTimeOffset olderThan) : WriteOp
{
    private const string Old = "SELECT id FROM runs WHERE status IN ('completed', 'failed', 'cancelled') AND COALESCE(completed_at, created_at) < $cutoff";

    public override int Apply(SqliteWriter writer)
    {
        var cutoff = ("$cutoff", (object)olderThan.UtcTicks);
        writer.Execute($"DELETE FROM tasks WHERE run_id IN ({Old})", cutoff);
        writer.Execute($"DELETE FROM events WHERE run_id IN ({Old})", cutoff);
        return writer.Execute("DELETE FROM runs WHERE status IN ('completed', 'failed', 'cancelled') AND COALESCE(completed_at, created_at) < $cutoff", cutoff);
    }
}
