namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// What happens after a failed attempt (<see cref="TaskPipeline.DecideRetry"/>): another attempt after
/// <see cref="Delay"/>, or the task fails for good with <see cref="Error"/>.
/// </summary>
public readonly record struct RetryDecision(bool Retry, TimeSpan Delay, GleitzeitError Error)
{
    public static RetryDecision RetryAfter(TimeSpan delay, GleitzeitError error) => new(true, delay, error);

    public static RetryDecision Fail(GleitzeitError error) => new(false, TimeSpan.Zero, error);
}
