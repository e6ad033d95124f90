using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Persistence.Sqlite.Writing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Persistence.Sqlite;

/// <summary>
/// A durable <see cref="IWorkflowStore"/> in one SQLite file (WAL). Every write is committed before its ValueTask
/// completes; concurrent writes are committed together (group commit) by a single writer, so the engine's rule that a
/// task's completion is stored before any dependent starts holds without a commit per write. Reads run on their own
/// connections and see the last committed state. Several processes may share the file (SQLite's locking serializes
/// their writers; <see cref="SqliteStoreOptions.BusyTimeout"/> bounds the wait).
/// </summary>
public sealed partial class SqliteWorkflowStore : IWorkflowStore, IAsyncDisposable, IDisposable
{
    private static readonly string[] Finished = ["completed", "failed", "cancelled"];

    private readonly string _readConnectionString;
    private readonly SqliteConnection _writeConnection;
    private readonly SqliteWriter _writer;
    private readonly TimeProvider _time;
    private int _disposed;

    /// <summary>Opens (creating when missing) the database at <paramref name="databasePath"/> with default settings.</summary>
    public SqliteWorkflowStore(string databasePath)
        : this(new SqliteStoreOptions { DatabasePath = databasePath })
    {
    }

    /// <summary>Opens the database, creating the file and its directory when missing and applying schema migrations.
    /// Throws <see cref="GleitzeitException"/> naming the path when the file cannot be used.</summary>
    public SqliteWorkflowStore(SqliteStoreOptions options, ILogger<SqliteWorkflowStore>? logger = null, TimeProvider? timeProvider = null)
    {
        SqliteStoreOptionsValidator.ThrowIfInvalid(options, nameof(options));
        var log = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        DatabasePath = SqliteStoreOptions.ResolvePath(options.DatabasePath);
        PrepareDirectory(DatabasePath);

        // Whole seconds for the readers' command timeout, at least one: zero would mean "wait forever" there.
        var timeoutSeconds = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds));
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = true, DefaultTimeout = timeoutSeconds,
        }.ToString();
        var writeConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false, DefaultTimeout = timeoutSeconds,
        }.ToString();

        _writeConnection = new SqliteConnection(writeConnectionString);
        try
        {
            _writeConnection.Open();
            SqliteSchema.Execute(_writeConnection, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}");
            CheckFile(_writeConnection, DatabasePath);
            using (var wal = _writeConnection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode = WAL";
                var mode = wal.ExecuteScalar() as string;
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase)) LogNoWal(log, DatabasePath, mode ?? "?");
            }
            SqliteSchema.Execute(_writeConnection, options.Synchronous == SqliteSynchronousMode.Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
            SqliteSchema.Migrate(_writeConnection, DatabasePath);
            _writer = new SqliteWriter(_writeConnection, DatabasePath, options.MaxBatchSize, log);
        }
        catch (Exception ex) when (ex is SqliteException or GleitzeitException)
        {
            _writeConnection.Dispose();
            throw ex as GleitzeitException ?? SqliteErrors.Map((SqliteException)ex, DatabasePath, writing: true);
        }
        LogOpened(log, DatabasePath, SqliteSchema.CurrentVersion);
    }

    /// <summary>Used by dependency injection (<c>AddSqlite</c>).</summary>
    internal SqliteWorkflowStore(IOptions<SqliteStoreOptions> options, ILogger<SqliteWorkflowStore>? logger, TimeProvider? timeProvider)
        : this(options.Value, logger, timeProvider)
    {
    }

    /// <summary>The absolute path of the database file.</summary>
    public string DatabasePath { get; }

    // ------------------------------------------------------------------ writes

    public ValueTask CreateRunAsync(WorkflowRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask(_writer.EnqueueAsync(new CreateRunOp(run, _time.GetUtcNow())));
    }

    public ValueTask UpdateRunStatusAsync(string workflowId, WorkflowStatus status, DateTimeOffset timestamp, GleitzeitError? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask(_writer.EnqueueAsync(new UpdateRunStatusOp(workflowId, status, timestamp, error)));
    }

    public ValueTask SaveTaskAsync(string workflowId, TaskResult task, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        return SaveTasksAsync(workflowId, [task], cancellationToken);
    }

    public ValueTask SaveTasksAsync(string workflowId, IReadOnlyList<TaskResult> tasks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(tasks);
        cancellationToken.ThrowIfCancellationRequested();
        if (tasks.Count == 0) return EnsureRunExistsAsync(workflowId, cancellationToken);
        return new ValueTask(_writer.EnqueueAsync(new SaveTasksOp(workflowId, tasks, _time.GetUtcNow())));
    }

    private async ValueTask EnsureRunExistsAsync(string workflowId, CancellationToken cancellationToken)
    {
        var exists = await Read(connection =>
        {
            using var command = Command(connection, "SELECT 1 FROM runs WHERE id = $run", ("$run", workflowId));
            return command.ExecuteScalar() is not null;
        }, cancellationToken).ConfigureAwait(false);
        if (!exists) throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");
    }

    public async ValueTask<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await _writer.EnqueueAsync(new PurgeOp(olderThan)).ConfigureAwait(false);
    }

    /// <summary>A pragma's value on the writer's connection, read in the writer's turn.</summary>
    internal async Task<string?> ReadWriterPragmaAsync(string name)
    {
        var op = new PragmaOp(name);
        await _writer.EnqueueAsync(op).ConfigureAwait(false);
        return op.Value;
    }

    /// <summary>The writer, for tests of group commit.</summary>
    internal SqliteWriter Writer => _writer;

    // ------------------------------------------------------------------ reads

    public ValueTask<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default) =>
        Read(connection =>
        {
            using var tx = connection.BeginTransaction(deferred: true);
            using var command = Command(connection, "SELECT id, name, status, created_at, started_at, completed_at, error, definition, inputs FROM runs WHERE id = $run", ("$run", workflowId));
            command.Transaction = tx;
            WorkflowRun run;
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read()) return null;
                run = new WorkflowRun
                {
                    WorkflowId = reader.GetString(0),
                    Name = reader.GetString(1),
                    Status = StoreJson.ParseWorkflowStatus(reader.GetString(2)),
                    CreatedAt = Time(reader.GetInt64(3)),
                    StartedAt = NullableTime(reader, 4),
                    CompletedAt = NullableTime(reader, 5),
                    Error = Error(reader, 6),
                    Workflow = reader.IsDBNull(7) ? null : StoreJson.WorkflowFromJson(ParseJson(reader.GetString(7), workflowId).AsObject()),
                    Inputs = reader.IsDBNull(8)
                        ? new Dictionary<string, JsonNode?>()
                        : ParseJson(reader.GetString(8), workflowId).AsObject().ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone(), StringComparer.Ordinal),
                };
            }
            using var tasks = Command(connection, "SELECT task_id, status, result, error, attempts, started_at, completed_at FROM tasks WHERE run_id = $run ORDER BY position", ("$run", workflowId));
            tasks.Transaction = tx;
            var states = new Dictionary<string, TaskResult>(StringComparer.Ordinal);
            using (var reader = tasks.ExecuteReader())
            {
                while (reader.Read())
                {
                    var task = ReadTask(reader, 0, workflowId);
                    states[task.TaskId] = task;
                }
            }
            tx.Commit();
            return (WorkflowRun?)(run with { Tasks = states });
        }, cancellationToken);

    public ValueTask<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(RunQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new RunQuery();
        return Read(connection =>
        {
            var where = new List<string>();
            var parameters = new List<(string, object)>();
            if (query.Name is not null)
            {
                where.Add("r.name = $name");
                parameters.Add(("$name", query.Name));
            }
            if (query.Statuses.Count > 0)
            {
                var names = query.Statuses.Distinct().Select((s, i) => (Name: $"$s{i}", Value: StoreJson.StatusName(s))).ToList();
                where.Add($"r.status IN ({string.Join(", ", names.Select(n => n.Name))})");
                parameters.AddRange(names.Select(n => (n.Name, (object)n.Value)));
            }
            parameters.Add(("$limit", Math.Max(0, query.Limit)));
            parameters.Add(("$offset", Math.Max(0, query.Offset)));
            var sql = $"""
                SELECT r.id, r.name, r.status, r.created_at, r.started_at, r.completed_at,
                       MAX(r.task_count, (SELECT COUNT(*) FROM tasks t WHERE t.run_id = r.id)),
                       (SELECT COUNT(*) FROM tasks t WHERE t.run_id = r.id AND t.status = 'completed'),
                       (SELECT COUNT(*) FROM tasks t WHERE t.run_id = r.id AND t.status = 'failed')
                FROM runs r
                {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
                ORDER BY r.created_at DESC, r.seq DESC
                LIMIT $limit OFFSET $offset
                """;
            using var command = Command(connection, sql, [.. parameters]);
            using var reader = command.ExecuteReader();
            var list = new List<WorkflowRunSummary>();
            while (reader.Read())
            {
                list.Add(new WorkflowRunSummary(reader.GetString(0), reader.GetString(1), StoreJson.ParseWorkflowStatus(reader.GetString(2)),
                    Time(reader.GetInt64(3)), NullableTime(reader, 4), NullableTime(reader, 5), reader.GetInt32(6), reader.GetInt32(7), reader.GetInt32(8)));
            }
            return (IReadOnlyList<WorkflowRunSummary>)list;
        }, cancellationToken);
    }

    public ValueTask<StoredTaskResult?> GetTaskResultAsync(string taskId, string? workflowId = null, CancellationToken cancellationToken = default) =>
        Read(connection =>
        {
            var sql = """
                SELECT r.id, r.name, t.task_id, t.status, t.result, t.error, t.attempts, t.started_at, t.completed_at
                FROM tasks t JOIN runs r ON r.id = t.run_id
                WHERE t.task_id = $task
                """ + (workflowId is null ? "" : " AND t.run_id = $run") + " ORDER BY r.created_at DESC, r.seq DESC LIMIT 1";
            using var command = workflowId is null
                ? Command(connection, sql, ("$task", taskId))
                : Command(connection, sql, ("$task", taskId), ("$run", workflowId));
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            var runId = reader.GetString(0);
            return (StoredTaskResult?)new StoredTaskResult(runId, reader.GetString(1), ReadTask(reader, 2, runId));
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredTaskResult>> GetResultsByWorkflowNameAsync(string workflowName, CancellationToken cancellationToken = default) =>
        Read(connection =>
        {
            using var command = Command(connection, """
                SELECT r.id, r.name, t.task_id, t.status, t.result, t.error, t.attempts, t.started_at, t.completed_at
                FROM runs r JOIN tasks t ON t.run_id = r.id
                WHERE r.name = $name
                ORDER BY r.created_at DESC, r.seq DESC, t.position
                """, ("$name", workflowName));
            using var reader = command.ExecuteReader();
            var list = new List<StoredTaskResult>();
            while (reader.Read())
            {
                var runId = reader.GetString(0);
                list.Add(new StoredTaskResult(runId, reader.GetString(1), ReadTask(reader, 2, runId)));
            }
            return (IReadOnlyList<StoredTaskResult>)list;
        }, cancellationToken);

    public ValueTask<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) =>
        Read(connection =>
        {
            using var tx = connection.BeginTransaction(deferred: true);
            var runs = new Dictionary<WorkflowStatus, int>();
            var tasks = new Dictionary<WorkflowTaskStatus, int>();
            using (var command = Command(connection, "SELECT status, COUNT(*) FROM runs GROUP BY status"))
            {
                command.Transaction = tx;
                using var reader = command.ExecuteReader();
                while (reader.Read()) runs[StoreJson.ParseWorkflowStatus(reader.GetString(0))] = reader.GetInt32(1);
            }
            using (var command = Command(connection, "SELECT status, COUNT(*) FROM tasks GROUP BY status"))
            {
                command.Transaction = tx;
                using var reader = command.ExecuteReader();
                while (reader.Read()) tasks[StoreJson.ParseTaskStatus(reader.GetString(0))] = reader.GetInt32(1);
            }
            var runAverage = Average(connection, tx, "runs");
            var taskAverage = Average(connection, tx, "tasks");
            tx.Commit();
            return new StoreStatistics
            {
                TotalRuns = runs.Values.Sum(),
                RunsByStatus = runs,
                TotalTasks = tasks.Values.Sum(),
                TasksByStatus = tasks,
                AverageRunDuration = runAverage,
                AverageTaskDuration = taskAverage,
            };
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredEvent>> GetEventsAsync(string workflowId, CancellationToken cancellationToken = default) =>
        Read(connection =>
        {
            using var command = Command(connection, "SELECT task_id, status, at, attempt, error FROM events WHERE run_id = $run ORDER BY id", ("$run", workflowId));
            using var reader = command.ExecuteReader();
            var list = new List<StoredEvent>();
            while (reader.Read())
            {
                list.Add(new StoredEvent(workflowId, reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1), Time(reader.GetInt64(2)), reader.GetInt32(3), Error(reader, 4)));
            }
            return (IReadOnlyList<StoredEvent>)list;
        }, cancellationToken);

    /// <summary>Commits the queued writes, then closes the file.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Commits the queued writes, then closes the file.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _writer.Dispose();
        _writeConnection.Dispose();
        using (var pooled = new SqliteConnection(_readConnectionString)) SqliteConnection.ClearPool(pooled);
    }

    // ------------------------------------------------------------------ helpers

    private ValueTask<T> Read<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            using var connection = new SqliteConnection(_readConnectionString);
            connection.Open();
            return ValueTask.FromResult(read(connection));
        }
        catch (SqliteException ex)
        {
            throw SqliteErrors.Map(ex, DatabasePath, writing: false);
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    private static TimeSpan? Average(SqliteConnection connection, SqliteTransaction tx, string table)
    {
        using var command = Command(connection, $"SELECT AVG(completed_at - started_at) FROM {table} WHERE started_at IS NOT NULL AND completed_at IS NOT NULL");
        command.Transaction = tx;
        return command.ExecuteScalar() is double ticks ? TimeSpan.FromTicks((long)Math.Round(ticks)) : null;
    }

    private TaskResult ReadTask(SqliteDataReader reader, int first, string runId) => new()
    {
        TaskId = reader.GetString(first),
        Status = StoreJson.ParseTaskStatus(reader.GetString(first + 1)),
        Result = reader.IsDBNull(first + 2) ? null : ParseJson(reader.GetString(first + 2), runId),
        Error = Error(reader, first + 3),
        Attempts = reader.GetInt32(first + 4),
        StartedAt = NullableTime(reader, first + 5),
        CompletedAt = NullableTime(reader, first + 6),
    };

    private GleitzeitError? Error(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : StoreJson.ErrorFromJson(ParseJson(reader.GetString(ordinal), null).AsObject());

    private JsonNode ParseJson(string text, string? runId)
    {
        try
        {
            return JsonNode.Parse(text) ?? JsonValue.Create((string?)null)!;
        }
        catch (JsonException ex)
        {
            throw SqliteErrors.Corrupted(DatabasePath, ex, $"run '{runId}' holds malformed JSON: {ex.Message}");
        }
    }

    private static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    private static DateTimeOffset? NullableTime(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Time(reader.GetInt64(ordinal));

    private static void PrepareDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            throw new GleitzeitException(GleitzeitErrorCode.PersistenceConnectionFailed,
                $"The SQLite database path '{path}' is a directory. Give a file path, for example '{Path.Join(path, "gleitzeit.db")}'.");
        }
        var directory = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(directory)) return;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new GleitzeitException(GleitzeitErrorCode.PersistenceConnectionFailed,
                $"Cannot create the directory '{directory}' for the SQLite database '{path}': {ex.Message}. Choose a writable location (DatabasePath, GLEITZEIT_SQLITE_PATH).", ex);
        }
    }

    /// <summary>Refuses, before writing anything, a file that is not a SQLite database, belongs to another application,
    /// or was written by a newer schema.</summary>
    private static void CheckFile(SqliteConnection connection, string path)
    {
        var applicationId = SqliteSchema.ReadApplicationId(connection);
        var version = SqliteSchema.ReadVersion(connection);
        if (applicationId != 0 && applicationId != SqliteSchema.ApplicationId)
        {
            throw SqliteErrors.Corrupted(path, detail: $"it is a SQLite database of another application (application_id {applicationId})");
        }
        if (version > SqliteSchema.CurrentVersion) throw SqliteSchema.TooNew(path, version);
        if (applicationId == 0 && version == 0)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM sqlite_master";
            if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0)
            {
                throw SqliteErrors.Corrupted(path, detail: "it is a SQLite database that Gleitzeit did not create");
            }
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "SQLite store opened at {Path} (schema version {Version})")]
    private static partial void LogOpened(ILogger logger, string path, int version);

    [LoggerMessage(2, LogLevel.Warning, "SQLite store {Path}: WAL journal mode is not available (mode {Mode}); writers block readers")]
    private static partial void LogNoWal(ILogger logger, string path, string mode);
}
