namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// What happens after a failed attempt (<see cref="TaskPipeline.DecideRetry"/>): another attempt after
/// <see cref="Delay"/>, or the task fails for good with <see cref="Error"/>.
/// </summary>
public readonly record struct RetryDecision(bool Retry, TimeSpan Delay, GleitzeitError Error)
{
    /// <summary>Retry after <paramref name="delay"/>; <paramref name="error"/> is the failure being retried.</summary>
    public static RetryDecision RetryAfter(TimeSpan delay, GleitzeitError error) => new(true, delay, error);

    /// <summary>Do not retry: the task fails with <paramref name="error"/>.</summary>
    public static RetryDecision Fail(GleitzeitError error) => new(false, TimeSpan.Zero, error);
}
