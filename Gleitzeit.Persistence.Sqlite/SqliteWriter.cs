using System.Collections.Concurrent;
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
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly SqliteCommand _runExists, _insertRun, _updateRun, _insertTask, _updateTask, _nextPosition, _insertEvent;

    public SqliteWriter(SqliteConnection connection, string path, int maxBatch, TimeProvider time, ILogger logger)
    {
        _connection = connection;
        _path = path;
        _maxBatch = maxBatch;
        _time = time;
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
        try
        {
            SqliteSchema.Execute(_connection, "BEGIN IMMEDIATE");
            try
            {
                for (var i = 0; i < batch.Count; i++) outcomes[i] = ApplyChecked(batch[i]);
                SqliteSchema.Execute(_connection, "COMMIT");
            }
            catch
            {
                SqliteSchema.RollbackQuietly(_connection);
                throw;
            }
        }
        catch (SqliteException ex) when (batch.Count > 1)
        {
            // One write broke the transaction (or the commit failed): give each write its own transaction so only
            // the broken ones fail.
            LogBatchRetried(_path, batch.Count, ex.Message);
            foreach (var op in batch) Commit([op]);
            return;
        }
        catch (SqliteException ex)
        {
            outcomes[0] = (0, SqliteErrors.Map(ex, _path, writing: true));
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

    internal void InsertRun(WorkflowRun run, string? definition, string inputs, int taskCount)
    {
        Set(_insertRun, run.WorkflowId, run.Name, StoreJson.StatusName(run.Status), run.CreatedAt.UtcTicks, Ticks(run.StartedAt), Ticks(run.CompletedAt),
            Json(run.Error), taskCount, definition, inputs);
        _insertRun.ExecuteNonQuery();
    }

    internal bool UpdateRun(string runId, WorkflowStatus status, DateTimeOffset at, GleitzeitError? error)
    {
        var running = status == WorkflowStatus.Running;
        var finished = status is WorkflowStatus.Completed or WorkflowStatus.Failed or WorkflowStatus.Cancelled;
        Set(_updateRun, StoreJson.StatusName(status), running, finished, at.UtcTicks, Json(error), runId);
        return _updateRun.ExecuteNonQuery() > 0;
    }

    internal void SaveTask(string runId, TaskResult task, int? position)
    {
        var status = StoreJson.StatusName(task.Status);
        var result = task.Result?.ToJsonString();
        var error = Json(task.Error);
        if (position is null)
        {
            Set(_updateTask, status, result, error, task.Attempts, Ticks(task.StartedAt), Ticks(task.CompletedAt), runId, task.TaskId);
            if (_updateTask.ExecuteNonQuery() == 0)
            {
                _nextPosition.Parameters[0].Value = runId;
                position = Convert.ToInt32(_nextPosition.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        if (position is { } p)
        {
            Set(_insertTask, runId, task.TaskId, p, status, result, error, task.Attempts, Ticks(task.StartedAt), Ticks(task.CompletedAt));
            _insertTask.ExecuteNonQuery();
        }
    }

    internal void InsertEvent(string runId, string? taskId, string status, DateTimeOffset at, int attempt, GleitzeitError? error)
    {
        Set(_insertEvent, runId, taskId, status, at.UtcTicks, attempt, Json(error));
        _insertEvent.ExecuteNonQuery();
    }

    internal DateTimeOffset Now => _time.GetUtcNow();

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

    private static object? Ticks(DateTimeOffset? time) => time?.UtcTicks;

    private static string? Json(GleitzeitError? error) => error?.ToJson().ToJsonString();

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

internal sealed class CreateRunOp(WorkflowRun run, string? definition, string inputs) : WriteOp
{
    public override int Apply(SqliteWriter writer)
    {
        if (writer.RunExists(run.WorkflowId))
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowAlreadyExists, $"A run with id '{run.WorkflowId}' already exists.");
        }
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        if (run.Workflow is { } wf)
        {
            foreach (var t in wf.Tasks) positions.TryAdd(t.Id, positions.Count);
        }
        foreach (var id in run.Tasks.Keys) positions.TryAdd(id, positions.Count);
        writer.InsertRun(run, definition, inputs, positions.Count);
        foreach (var (id, position) in positions)
        {
            writer.SaveTask(run.WorkflowId, run.Tasks.TryGetValue(id, out var t) ? t : TaskResult.Pending(id), position);
        }
        writer.InsertEvent(run.WorkflowId, null, StoreJson.StatusName(run.Status), run.CreatedAt, 0, null);
        return 1;
    }
}

internal sealed class UpdateRunStatusOp(string runId, WorkflowStatus status, DateTimeOffset at, GleitzeitError? error) : WriteOp
{
    public override int Apply(SqliteWriter writer)
    {
        if (!writer.UpdateRun(runId, status, at, error)) throw NotFound(runId);
        writer.InsertEvent(runId, null, StoreJson.StatusName(status), at, 0, error);
        return 1;
    }
}

internal sealed class SaveTasksOp(string runId, IReadOnlyList<TaskResult> tasks) : WriteOp
{
    public override int Apply(SqliteWriter writer)
    {
        if (!writer.RunExists(runId)) throw NotFound(runId);
        foreach (var task in tasks)
        {
            writer.SaveTask(runId, task, null);
            writer.InsertEvent(runId, task.TaskId, StoreJson.StatusName(task.Status), task.CompletedAt ?? task.StartedAt ?? writer.Now, task.Attempts, task.Error);
        }
        return tasks.Count;
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
