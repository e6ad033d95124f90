using System.Collections.Concurrent;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// Bounds the rest of the attempt (the provider call) by <see cref="TaskContext.Timeout"/>: the stages after it see a
/// token that also fires when the time is up, and an attempt cancelled that way ends TASK_TIMEOUT, not cancelled.
/// </summary>
internal sealed class TimeoutStage(TimeProvider time) : ITaskMiddleware
{
    // Sources whose deadline never fired are reset and reused (with their timer): every attempt of every task passes
    // here, and a new source and timer each time were a tenth of a no-op task's cost.
    private const int PoolLimit = 256;
    private readonly ConcurrentQueue<CancellationTokenSource> _pool = new();
    private int _pooled;

    public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
    {
        if (context.Timeout is not { } limit || limit == System.Threading.Timeout.InfiniteTimeSpan) return next(context);

        var outer = context.CancellationToken;
        var attempt = Rent(limit);
        // The caller's token cancels the attempt's source; the registration is undone when the attempt ends.
        var link = outer.CanBeCanceled ? outer.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), attempt) : default;
        context.CancellationToken = attempt.Token;
        ValueTask<TaskOutcome> pending;
        try
        {
            pending = next(context);
        }
        catch
        {
            End(context, outer, attempt, link);
            throw;
        }
        if (!pending.IsCompleted) return AwaitAsync(context, pending, outer, limit, attempt, link);
        return ValueTask.FromResult(Finish(context, pending.Result, outer, limit, attempt, link));
    }

    private CancellationTokenSource Rent(TimeSpan limit)
    {
        if (!ReferenceEquals(time, TimeProvider.System)) return new CancellationTokenSource(limit, time);
        if (_pool.TryDequeue(out var pooled)) Interlocked.Decrement(ref _pooled);
        var source = pooled ?? new CancellationTokenSource();
        source.CancelAfter(limit);
        return source;
    }

    private async ValueTask<TaskOutcome> AwaitAsync(TaskContext context, ValueTask<TaskOutcome> pending, CancellationToken outer, TimeSpan limit, CancellationTokenSource attempt, CancellationTokenRegistration link)
    {
        TaskOutcome outcome;
        try
        {
            outcome = await pending.ConfigureAwait(false);
        }
        catch
        {
            End(context, outer, attempt, link);
            throw;
        }
        return Finish(context, outcome, outer, limit, attempt, link);
    }

    private TaskOutcome Finish(TaskContext context, TaskOutcome outcome, CancellationToken outer, TimeSpan limit, CancellationTokenSource attempt, CancellationTokenRegistration link)
    {
        var timedOut = outcome.IsCancelled && attempt.IsCancellationRequested && !outer.IsCancellationRequested;
        End(context, outer, attempt, link);
        return timedOut
            ? TaskOutcome.Failed(new GleitzeitError(GleitzeitErrorCode.TaskTimeout, $"timed out after {limit.TotalSeconds:0.###} s (attempt {context.Attempt})"))
            : outcome;
    }

    private void End(TaskContext context, CancellationToken outer, CancellationTokenSource attempt, CancellationTokenRegistration link)
    {
        context.CancellationToken = outer;
        // Undone first (it waits for a cancellation running meanwhile), so a reused source is never cancelled late.
        link.Dispose();
        // TryReset fails for a source that was cancelled or whose timer ever fired: that one is not reused.
        if (ReferenceEquals(time, TimeProvider.System) && Interlocked.Increment(ref _pooled) <= PoolLimit && attempt.TryReset())
        {
            _pool.Enqueue(attempt);
            return;
        }
        if (ReferenceEquals(time, TimeProvider.System)) Interlocked.Decrement(ref _pooled);
        attempt.Dispose();
    }
}
