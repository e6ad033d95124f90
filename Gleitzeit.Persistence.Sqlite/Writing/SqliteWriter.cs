using System.Collections.Concurrent;
using Gleitzeit.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Persistence.Sqlite.Writing;

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
    private readonly SqliteStatements _statements;
    private long _commits;

    public SqliteWriter(SqliteConnection connection, string path, int maxBatch, ILogger logger)
    {
        _connection = connection;
        _path = path;
        _maxBatch = maxBatch;
        _logger = logger;
        _statements = new SqliteStatements(connection);
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
        _statements.Dispose();
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
            return (op.Apply(_statements), null);
        }
        catch (GleitzeitException ex)
        {
            return (0, ex);
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "SQLite store {Path}: a batch of {Count} writes failed ({Message}); committing them one by one")]
    private partial void LogBatchRetried(string path, int count, string message);
}
