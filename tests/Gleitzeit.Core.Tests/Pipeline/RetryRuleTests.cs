using Gleitzeit.Core.Pipeline;

namespace Gleitzeit.Core.Tests.Pipeline;

public class RetryRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly GleitzeitError RateLimited = new(GleitzeitErrorCode.ProviderRateLimited, "HTTP 429 from the server");
    private static readonly RetryPolicy Policy = new() { MaxAttempts = 3, InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(60), Jitter = false };

    [Test]
    public void A_retry_after_within_max_delay_is_waited_as_asked()
    {
        var decision = RetryRule.Decide(RateLimited, TimeSpan.FromSeconds(42), 1, Policy, Now, null);

        Assert.That(decision, Is.EqualTo(RetryDecision.RetryAfter(TimeSpan.FromSeconds(42), RateLimited)));
    }

    [Test]
    public void A_retry_after_longer_than_max_delay_fails_the_task_with_the_providers_message()
    {
        var decision = RetryRule.Decide(RateLimited, TimeSpan.FromSeconds(100_000), 1, Policy, Now, null);

        Assert.That(decision.Retry, Is.False);
        Assert.That(decision.Error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderRateLimited));
        Assert.That(decision.Error.Message, Does.StartWith("HTTP 429 from the server").And.Contain("100000 s").And.Contain("max_delay"));
    }

    [Test]
    public void A_retry_after_longer_than_the_runs_remaining_time_fails_the_task()
    {
        var decision = RetryRule.Decide(RateLimited, TimeSpan.FromSeconds(45), 1, Policy, Now, Now + TimeSpan.FromSeconds(30));

        Assert.That(decision.Retry, Is.False);
        Assert.That(decision.Error.Message, Does.Contain("the time the run has left"));
    }

    [Test]
    public void A_retry_after_to_the_end_of_time_fails_instead_of_throwing()
    {
        var decision = RetryRule.Decide(RateLimited, DateTimeOffset.MaxValue - Now, 1, Policy with { MaxDelay = TimeSpan.MaxValue }, Now, null);

        Assert.That(decision.Retry, Is.False);
        Assert.That(decision.Error.Message, Does.StartWith("HTTP 429 from the server"));
    }

    [Test]
    public void A_negative_retry_after_retries_at_once()
    {
        Assert.That(RetryRule.Decide(RateLimited, TimeSpan.FromSeconds(-5), 1, Policy, Now, null).Delay, Is.EqualTo(TimeSpan.Zero));
    }

    [Test]
    public void Without_retry_after_the_backoff_applies_and_attempts_run_out()
    {
        Assert.That(RetryRule.Decide(RateLimited, null, 2, Policy, Now, null), Is.EqualTo(RetryDecision.RetryAfter(TimeSpan.FromSeconds(2), RateLimited)));
        var last = RetryRule.Decide(RateLimited, null, 3, Policy, Now, null);
        Assert.That(last.Retry, Is.False);
        Assert.That(last.Error.Code, Is.EqualTo(GleitzeitErrorCode.TaskRetriesExhausted));
    }

    [Test]
    public void A_non_retryable_error_fails_at_once_as_it_is()
    {
        var invalid = new GleitzeitError(GleitzeitErrorCode.InvalidParams, "bad");

        Assert.That(RetryRule.Decide(invalid, TimeSpan.FromSeconds(1), 1, Policy, Now, null), Is.EqualTo(RetryDecision.Fail(invalid)));
    }
}
