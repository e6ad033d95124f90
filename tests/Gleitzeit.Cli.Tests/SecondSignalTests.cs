namespace Gleitzeit.Cli.Tests;

/// <summary>What a run needs from the signals: the first one's exit code, and a token that only a second signal cancels
/// (stopping is not cancelling; Ctrl+C twice is).</summary>
public sealed class SecondSignalTests
{
    [Test]
    public void The_first_signal_interrupts_and_only_a_second_one_insists()
    {
        using var signals = new TerminationSignals(Timeout.InfiniteTimeSpan);
        Assert.That(signals.ExitCode, Is.Null);

        signals.Signal(143);

        Assert.That(signals.Token.IsCancellationRequested, Is.True);
        Assert.That(signals.Insisted.IsCancellationRequested, Is.False, "one signal interrupts, it does not cancel for good");
        Assert.That(signals.ExitCode, Is.EqualTo(143));

        signals.Signal(130);

        Assert.That(signals.Insisted.IsCancellationRequested, Is.True);
        Assert.That(signals.ExitCode, Is.EqualTo(143), "the exit code is the first signal's");
    }

    [Test]
    public void A_failing_callback_on_the_second_signal_does_not_escape_and_the_exit_is_still_forced()
    {
        using var signals = new TerminationSignals(Timeout.InfiniteTimeSpan);
        using var registration = signals.Insisted.Register(() => throw new InvalidOperationException("callback failed"));

        signals.Signal(130);
        Assert.DoesNotThrow(() => signals.Signal(130));
        Assert.That(signals.Forced.IsCompletedSuccessfully, Is.True);
    }
}
