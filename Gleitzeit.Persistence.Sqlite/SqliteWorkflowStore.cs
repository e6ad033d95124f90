using System.Globalization;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Persistence.Sqlite.Reading;
using Gleitzeit.Persistence.Sqlite.Writing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Persistence.Sqlite;

/// <summary>
/// A durable <see cref="IWorkflowStore"/> in one SQLite file (WAL). Writes go through one group-commit writer (<c>Writing/</c>),
/// reads (the run by id and the query side) through <c>Reading/SqliteReader</c> on pooled read-only connections. Every write is committed before its ValueTask
/// completes; concurrent writes are committed together (group commit) by a single writer, so the engine's rule that a
/// task's completion is stored before any dependent starts holds without a commit per write. Reads run on their own
/// connections and see the last committed state. Several processes may share the file (SQLite's locking serializes
/// their writers; <see cref="SqliteStoreOptions.BusyTimeout"/> bounds the wait).
/// </summary>
public sealed partial class SqliteWorkflowStore : IWorkflowStore, IAsyncDisposable, IDisposable
{

    private readonly string _readConnectionString;
    private readonly SqliteReader _reader;
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
        SqliteStoreOptionsValidator.Instance.ThrowIfInvalid(options, nameof(options));
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
        _reader = new SqliteReader(_readConnectionString, DatabasePath, () => Volatile.Read(ref _disposed) != 0);
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

    /// <inheritdoc />
    public ValueTask CreateRunAsync(WorkflowRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask(_writer.EnqueueAsync(new CreateRunOp(run, _time.GetUtcNow())));
    }

    /// <inheritdoc />
    public ValueTask UpdateRunStatusAsync(string workflowId, WorkflowStatus status, DateTimeOffset timestamp, GleitzeitError? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask(_writer.EnqueueAsync(new UpdateRunStatusOp(workflowId, status, timestamp, error)));
    }

    /// <inheritdoc />
    public ValueTask SaveTaskAsync(string workflowId, TaskResult task, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        return SaveTasksAsync(workflowId, [task], cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SaveTasksAsync(string workflowId, IReadOnlyList<TaskResult> tasks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(tasks);
        cancellationToken.ThrowIfCancellationRequested();
        if (tasks.Count == 0) return EnsureRunExistsAsync(workflowId, cancellationToken);
        return new ValueTask(_writer.EnqueueAsync(new SaveTasksOp(workflowId, tasks, _time.GetUtcNow())));
    }

    /// <inheritdoc />
    public async ValueTask<RunLease> AcquireLeaseAsync(string workflowId, RunLease lease, DateTimeOffset now, string? takeOverFrom = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(lease);
        cancellationToken.ThrowIfCancellationRequested();
        var op = new AcquireLeaseOp(workflowId, lease, now, takeOverFrom);
        await _writer.EnqueueAsync(op).ConfigureAwait(false);
        return op.InForce!;
    }

    /// <summary>Records a waiting task's decision only while it is stored waiting, in one write transaction (atomic across processes).</summary>
    public async ValueTask<bool> TrySaveAnswerAsync(string workflowId, TaskResult decided, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(decided);
        cancellationToken.ThrowIfCancellationRequested();
        var op = new SaveAnswerOp(workflowId, decided, _time.GetUtcNow());
        await _writer.EnqueueAsync(op).ConfigureAwait(false);
        return op.Recorded;
    }

    /// <inheritdoc />
    public ValueTask ReleaseLeaseAsync(string workflowId, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(owner);
        return new ValueTask(_writer.EnqueueAsync(new ReleaseLeaseOp(workflowId, owner)));
    }

    /// <inheritdoc />
    public ValueTask<RunLease?> GetLeaseAsync(string workflowId, CancellationToken cancellationToken = default) =>
        _reader.GetLeaseAsync(workflowId, cancellationToken);

    private async ValueTask EnsureRunExistsAsync(string workflowId, CancellationToken cancellationToken)
    {
        if (!await _reader.RunExistsAsync(workflowId, cancellationToken).ConfigureAwait(false)) throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");
    }

    /// <inheritdoc />
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

    internal SqliteReader Reader => _reader;

    // ------------------------------------------------------------------ reads

    /// <inheritdoc />
    public ValueTask<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default) =>
        _reader.GetRunAsync(workflowId, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(RunQuery? query = null, CancellationToken cancellationToken = default) =>
        _reader.ListRunsAsync(query, cancellationToken);

    /// <inheritdoc />
    public ValueTask<StoredTaskResult?> GetTaskResultAsync(string taskId, string? workflowId = null, CancellationToken cancellationToken = default) =>
        _reader.GetTaskResultAsync(taskId, workflowId, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredTaskResult>> GetResultsByWorkflowNameAsync(string workflowName, CancellationToken cancellationToken = default) =>
        _reader.GetResultsByWorkflowNameAsync(workflowName, cancellationToken);

    /// <inheritdoc />
    public ValueTask<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) =>
        _reader.GetStatisticsAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredEvent>> GetEventsAsync(string workflowId, CancellationToken cancellationToken = default) =>
        _reader.GetEventsAsync(workflowId, cancellationToken);

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
