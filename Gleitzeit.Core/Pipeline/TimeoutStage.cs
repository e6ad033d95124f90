namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// Bounds the rest of the attempt (the provider call) by <see cref="TaskContext.Timeout"/>: the stages after it see a
/// token that also fires when the time is up, and an attempt cancelled that way ends TASK_TIMEOUT, not cancelled.
/// </summary>
internal sealed class TimeoutStage(TimeProvider time) : ITaskMiddleware
{
    public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
    {
        if (context.Timeout is not { } limit || limit == System.Threading.Timeout.InfiniteTimeSpan) return next(context);

        CancellationTokenSource? timeoutCts = null;
        CancellationTokenSource linkedCts;
        var outer = context.CancellationToken;
        if (ReferenceEquals(time, TimeProvider.System))
        {
            // One source instead of two on the hot path: the caller's token linked, the deadline on the same source.
            linkedCts = CancellationTokenSource.CreateLinkedTokenSource(outer);
            linkedCts.CancelAfter(limit);
        }
        else
        {
            timeoutCts = new CancellationTokenSource(limit, time);
            linkedCts = CancellationTokenSource.CreateLinkedTokenSource(outer, timeoutCts.Token);
        }
        context.CancellationToken = linkedCts.Token;
        ValueTask<TaskOutcome> pending;
        try
        {
            pending = next(context);
        }
        catch
        {
            End(context, outer, linkedCts, timeoutCts);
            throw;
        }
        if (!pending.IsCompleted) return AwaitAsync(context, pending, outer, limit, linkedCts, timeoutCts);
        return ValueTask.FromResult(Finish(context, pending.Result, outer, limit, linkedCts, timeoutCts));
    }

    private static async ValueTask<TaskOutcome> AwaitAsync(TaskContext context, ValueTask<TaskOutcome> pending, CancellationToken outer, TimeSpan limit, CancellationTokenSource linkedCts, CancellationTokenSource? timeoutCts)
    {
        TaskOutcome outcome;
        try
        {
            outcome = await pending.ConfigureAwait(false);
        }
        catch
        {
            End(context, outer, linkedCts, timeoutCts);
            throw;
        }
        return Finish(context, outcome, outer, limit, linkedCts, timeoutCts);
    }

    private static TaskOutcome Finish(TaskContext context, TaskOutcome outcome, CancellationToken outer, TimeSpan limit, CancellationTokenSource linkedCts, CancellationTokenSource? timeoutCts)
    {
        var timedOut = outcome.IsCancelled && linkedCts.IsCancellationRequested && !outer.IsCancellationRequested;
        End(context, outer, linkedCts, timeoutCts);
        return timedOut
            ? TaskOutcome.Failed(new GleitzeitError(GleitzeitErrorCode.TaskTimeout, $"timed out after {limit.TotalSeconds:0.###} s (attempt {context.Attempt})"))
            : outcome;
    }

    private static void End(TaskContext context, CancellationToken outer, CancellationTokenSource linkedCts, CancellationTokenSource? timeoutCts)
    {
        context.CancellationToken = outer;
        linkedCts.Dispose();
        timeoutCts?.Dispose();
    }
}
