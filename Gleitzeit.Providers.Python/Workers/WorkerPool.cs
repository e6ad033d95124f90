using System.Collections.Concurrent;
using Gleitzeit.Providers.Python.Interpreter;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Providers.Python.Workers;

/// <summary>
/// Hands out python3 workers, at most <see cref="PythonOptions.Workers"/> at a time. In <see cref="PythonIsolation.Pool"/>
/// mode workers start lazily, are reused, and a retired one (crashed, killed at a timeout, out of memory, or used
/// <see cref="PythonOptions.MaxExecutionsPerWorker"/> times) is replaced at once in the background. In
/// <see cref="PythonIsolation.Process"/> mode every lease gets a fresh process that is killed afterwards.
/// </summary>
internal sealed partial class WorkerPool : IDisposable
{
    private readonly PythonOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentQueue<Task<PythonWorker>> _idle = new();
    private readonly ConcurrentDictionary<PythonWorker, byte> _live = new();
    private volatile bool _disposed;

    public WorkerPool(PythonOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _slots = new SemaphoreSlim(options.Workers, options.Workers);
    }

    /// <summary>Worker processes running now (idle or busy).</summary>
    public int LiveWorkers => _live.Count;

    public async Task<PythonWorker> AcquireAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_options.Isolation == PythonIsolation.Pool)
            {
                while (_idle.TryDequeue(out var candidate))
                {
                    PythonWorker worker;
                    try
                    {
                        worker = await candidate.ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogReplacementFailed(_logger, ex.Message);
                        continue; // start one below, so the caller sees the error if it persists
                    }
                    if (worker.IsAlive) return worker;
                    Discard(worker);
                }
            }
            return await StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    /// <summary>Gives a worker back; <paramref name="reusable"/> false retires it (its replacement starts now).</summary>
    public void Release(PythonWorker worker, bool reusable)
    {
        try
        {
            var pooled = _options.Isolation == PythonIsolation.Pool;
            if (pooled && reusable && worker.IsAlive && worker.Executions < _options.MaxExecutionsPerWorker && !_disposed)
            {
                _idle.Enqueue(Task.FromResult(worker));
                if (_disposed) DrainIdle();
                return;
            }
            Discard(worker);
            if (pooled && !_disposed)
            {
                LogWorkerReplaced(_logger, worker.Pid, worker.Executions);
                var replacement = StartAsync(CancellationToken.None);
                _idle.Enqueue(replacement);
                if (_disposed) DrainIdle();
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<PythonWorker> StartAsync(CancellationToken cancellationToken)
    {
        var interpreter = await PythonInterpreter.ResolveAsync(_options.Interpreter, cancellationToken).ConfigureAwait(false);
        var worker = await PythonWorker.StartAsync(interpreter, _options, _logger, cancellationToken).ConfigureAwait(false);
        _live[worker] = 0;
        if (_disposed)
        {
            Discard(worker);
            throw new ObjectDisposedException(nameof(PythonProvider));
        }
        return worker;
    }

    private void Discard(PythonWorker worker)
    {
        _live.TryRemove(worker, out _);
        worker.Dispose();
    }

    private void DrainIdle()
    {
        while (_idle.TryDequeue(out var pending))
        {
            _ = pending.ContinueWith(static (t, state) =>
            {
                if (t.IsCompletedSuccessfully) ((WorkerPool)state!).Discard(t.Result);
                else _ = t.Exception; // observed: a replacement that failed to start while shutting down
            }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Kills every worker (idle, starting or busy) and their child processes.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DrainIdle();
        foreach (var worker in _live.Keys) Discard(worker);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Python worker {Pid} retired after {Executions} executions; starting its replacement")]
    private static partial void LogWorkerReplaced(ILogger logger, int pid, int executions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A replacement Python worker failed to start: {Problem}")]
    private static partial void LogReplacementFailed(ILogger logger, string problem);
}
