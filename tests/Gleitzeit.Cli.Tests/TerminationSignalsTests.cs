namespace Gleitzeit.Cli.Tests;

/// <summary>The CLI's own SIGINT/SIGTERM handling: the first signal cancels, a second forces the exit, and nothing throws.</summary>
public sealed class TerminationSignalsTests
{
    [Test]
    public async Task A_second_signal_forces_the_exit_without_throwing()
    {
        using var signals = new TerminationSignals(Timeout.InfiniteTimeSpan);

        signals.Signal(143);
        Assert.That(signals.Token.IsCancellationRequested, Is.True);
        Assert.That(signals.Forced.IsCompleted, Is.False, "the command gets its grace period after the first signal");

        Assert.DoesNotThrow(() => signals.Signal(143));
        Assert.DoesNotThrow(() => signals.Signal(130));
        Assert.That(await signals.Forced, Is.EqualTo(143));
    }

    [Test]
    public async Task After_the_grace_period_the_exit_is_forced_with_the_signals_code()
    {
        using var signals = new TerminationSignals(TimeSpan.Zero);

        signals.Signal(130);

        Assert.That(await signals.Forced, Is.EqualTo(130));
    }

    [Test]
    public void A_failing_cancellation_callback_does_not_escape_the_signal_handler()
    {
        using var signals = new TerminationSignals(Timeout.InfiniteTimeSpan);
        using var registration = signals.Token.Register(() => throw new InvalidOperationException("callback failed"));

        Assert.DoesNotThrow(() => signals.Signal(143));
        Assert.That(signals.Token.IsCancellationRequested, Is.True);
    }
}
