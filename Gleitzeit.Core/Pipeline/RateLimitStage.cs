using Gleitzeit.Core.Cost;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// The provider's rate limits (<see cref="RateLimitOptions"/>, found with <c>GetService</c> on the provider): an LLM task
/// starts its call only when the <see cref="IProviderRateLimiter"/> (from the services; one of this pipeline's own
/// otherwise) has a request and its tokens; otherwise the attempt is <see cref="TaskOutcome.Deferred"/>: the engine or
/// worker queues the task again after the wait, holding no slot, and the attempt does not count. Never fails a task.
/// </summary>
internal sealed class RateLimitStage(TimeProvider time) : ITaskMiddleware
{
    private readonly InMemoryProviderRateLimiter _own = new(time);

    public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
    {
        if (!LlmUsage.IsLlm(context.Task) || context.Provider.GetService(typeof(RateLimitOptions)) is not RateLimitOptions { IsLimited: true } limits)
        {
            return next(context);
        }
        return LimitedAsync(context, next, limits);
    }

    private async ValueTask<TaskOutcome> LimitedAsync(TaskContext context, TaskDelegate next, RateLimitOptions limits)
    {
        var limiter = context.Services.GetService(typeof(IProviderRateLimiter)) as IProviderRateLimiter ?? _own;
        var provider = context.Registration.Id;
        var tokens = Math.Max(1, LlmUsage.Count(context.Parameters["max_tokens"]) ?? 1);
        var wait = await limiter.TryAcquireAsync(provider, limits, tokens, context.CancellationToken).ConfigureAwait(false);
        if (wait > TimeSpan.Zero) return TaskOutcome.Deferred(wait);

        var outcome = await next(context).ConfigureAwait(false);
        if (limits.TokensPerMinute is not null && outcome.IsCompleted && LlmUsage.TotalTokens(outcome.Result) - tokens is > 0 and var extra)
        {
            await limiter.ConsumeAsync(provider, limits, extra, CancellationToken.None).ConfigureAwait(false);
        }
        return outcome;
    }
}
