namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// A wake-up signal without lost wake-ups: take <see cref="Next"/> before looking for work, and a <see cref="Fire"/> that
/// happens after that moment completes it.
/// </summary>
internal sealed class Pulse
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next => Volatile.Read(ref _next).Task;

    public void Fire() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits for <paramref name="next"/> or the timeout, whichever comes first; throws only on cancellation.</summary>
    public static async Task WaitAsync(Task next, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await next.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Look again anyway.
        }
    }
}
