using System.Collections.Concurrent;
using Gleitzeit.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>
/// Group commit: every write of the store is queued here and committed in FIFO order by whoever holds the writer's
/// turn, everything queued (up to the batch size) in one transaction; each caller is completed only after the commit
/// holding its write. Two modes, switched by what the writer sees:
/// <list type="bullet">
/// <item>Lone writer (a chain: one write at a time): a caller that finds the writer idle takes the turn and commits on
/// its own thread, so it pays no thread hand-off, neither to the writer thread nor back.</item>
/// <item>Concurrent writers: as soon as a write queues up while a caller commits, callers stop committing themselves
/// and leave their writes to the writer thread, which commits what queued up meanwhile in one transaction, so they
/// share the cost of a commit instead of paying one each. After <see cref="LoneCommitsToInline"/> commits in a row of
/// a single write with nothing left queued, callers commit themselves again.</item>
/// </list>
/// </summary>
internal sealed partial class SqliteWriter : IDisposable
{
    private readonly ConcurrentQueue<WriteOp> _queue = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly Lock _enqueue = new();
    private readonly Lock _turn = new();
    private readonly List<WriteOp> _batch = [];
    private readonly SqliteConnection _connection;
    private readonly string _path;
    private readonly int _maxBatch;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly SqliteStatements _statements;
    private bool _closed;
    private bool _statementsDisposed;
    private volatile bool _callerCommits = true;
    private int _loneCommits;
    private long _commits;

    /// <summary>Commits of a single write in a row, with nothing queued behind it, after which callers commit themselves again.</summary>
    internal const int LoneCommitsToInline = 64;

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

    /// <summary>Queues a write; the task completes after the transaction holding it committed (already completed when
    /// this caller found the writer idle and committed it itself).</summary>
    public Task<int> EnqueueAsync(WriteOp op)
    {
        lock (_enqueue)
        {
            if (_closed) throw new ObjectDisposedException(nameof(SqliteWorkflowStore), $"The SQLite store for '{_path}' is disposed.");
            _queue.Enqueue(op);
        }
        if (_callerCommits && op.MayCommitOnCaller && _turn.TryEnter())
        {
            var contended = false;
            try
            {
                if (!_statementsDisposed) CommitNext();
                if (!_queue.IsEmpty)
                {
                    // Another write queued up while this one committed: concurrent writers, batched by the writer thread.
                    contended = true;
                    _callerCommits = false;
                    _loneCommits = 0;
                }
            }
            finally
            {
                _turn.Exit();
            }
            // A write queued after the check above found the turn taken and woke a writer thread that could not take it:
            // wake it again now that the turn is free.
            if (contended || !_queue.IsEmpty) Wake();
        }
        else
        {
            Wake();
        }
        return op.Completion.Task;
    }

    /// <summary>Transactions committed so far.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Whether a caller that finds the writer idle commits its own write (lone-writer mode).</summary>
    internal bool CallerCommits => _callerCommits;

    /// <summary>Stops taking writes, commits what is queued, and waits for the writer thread.</summary>
    public void Dispose()
    {
        lock (_enqueue)
        {
            if (_closed) return;
            _closed = true;
        }
        _wake.Set();
        _thread.Join();
        lock (_turn)
        {
            while (CommitNext())
            {
            }
            _statements.Dispose();
            _statementsDisposed = true;
        }
        _wake.Dispose();
    }

    /// <summary>Wakes the writer thread. A write queued just before <see cref="Dispose"/> closed the queue may find the
    /// event disposed: Dispose has committed that write already, so there is nothing to wake.</summary>
    private void Wake()
    {
        try
        {
            _wake.Set();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Loop()
    {
        while (true)
        {
            _wake.Wait();
            // Reset before draining: a write queued after this point sets the event again, one queued before is drained.
            _wake.Reset();
            // A caller committing in its place holds the turn: do not wait for it (spinning or blocking a core); it wakes
            // this thread again when it lets go and writes are left.
            if (_turn.TryEnter())
            {
                try
                {
                    while (CommitNext(onWriterThread: true))
                    {
                    }
                }
                finally
                {
                    _turn.Exit();
                }
            }
            if (Volatile.Read(ref _closed) && _queue.IsEmpty) return;
        }
    }

    /// <summary>
    /// Commits the next batch of queued writes in one transaction; false when nothing was queued. Holds the turn. On the
    /// writer thread, a batch of one write with nothing queued behind it counts towards callers committing themselves
    /// again, and any other batch resets the count; counted before the writes' callers are completed, so a caller that
    /// sees its write committed sees the mode that commit decided.
    /// </summary>
    private bool CommitNext(bool onWriterThread = false)
    {
        while (_batch.Count < _maxBatch && _queue.TryDequeue(out var op)) _batch.Add(op);
        if (_batch.Count == 0) return false;
        if (onWriterThread)
        {
            if (_batch.Count > 1 || !_queue.IsEmpty) _loneCommits = 0;
            else if (++_loneCommits >= LoneCommitsToInline) _callerCommits = true;
        }
        try
        {
            Commit(_batch);
        }
        catch (Exception ex)
        {
            // Never let the writer (or a caller committing in its place) die: fail what is left of the batch instead.
            foreach (var op in _batch) op.Completion.TrySetException(ex);
        }
        _batch.Clear();
        return true;
    }

    private void Commit(List<WriteOp> batch)
    {
        var outcomes = new (int Value, Exception? Error)[batch.Count];
        var applying = false;
        try
        {
            _statements.Begin();
            try
            {
                applying = true;
                for (var i = 0; i < batch.Count; i++) outcomes[i] = ApplyChecked(batch[i]);
                applying = false;
                _statements.Commit();
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
