using System.Text.Json.Nodes;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Core.Tests.Pipeline;

/// <summary>The timeout stage reuses the sources of attempts whose deadline never fired; a reused one must never carry an earlier attempt's cancellation.</summary>
public sealed class TimeoutStageTests
{
    private static TaskContext Context(CancellationToken token, TimeSpan timeout)
    {
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("noop/v1", static (_, _) => ValueTask.FromResult<JsonNode?>(null), "noop/run"));
        var task = new WorkflowTask { Id = "t", Protocol = "noop/v1", Method = "noop/run", Timeout = timeout };
        var (registration, method) = registry.Resolve(task);
        return new TaskContext(new Workflow { Name = "w", Tasks = [task] }, task, 1, registration, method, new GleitzeitOptions(), token);
    }

    private static async Task<(TaskOutcome Outcome, CancellationToken Seen)> AttemptAsync(TimeoutStage stage, CancellationToken outer, Func<CancellationToken, TaskOutcome> body)
    {
        var context = Context(outer, TimeSpan.FromHours(1));
        var seen = default(CancellationToken);
        var outcome = await stage.InvokeAsync(context, c =>
        {
            seen = c.CancellationToken;
            return ValueTask.FromResult(body(c.CancellationToken));
        });
        Assert.That(context.CancellationToken, Is.EqualTo(outer), "the caller's token is restored when the attempt ends");
        return (outcome, seen);
    }

    [Test]
    public async Task A_completed_attempts_source_is_reused_uncancelled()
    {
        var stage = new TimeoutStage(TimeProvider.System);
        var first = await AttemptAsync(stage, CancellationToken.None, _ => TaskOutcome.Completed(null));
        var second = await AttemptAsync(stage, CancellationToken.None, t => t.IsCancellationRequested ? TaskOutcome.Cancelled : TaskOutcome.Completed(null));

        Assert.That(second.Seen, Is.EqualTo(first.Seen), "the same source serves the next attempt");
        Assert.That(second.Outcome.IsCompleted, Is.True);
        Assert.That(second.Seen.IsCancellationRequested, Is.False);
    }

    [Test]
    public async Task A_source_cancelled_through_the_callers_token_is_not_reused_and_the_caller_no_longer_reaches_the_next_one()
    {
        var stage = new TimeoutStage(TimeProvider.System);
        using var run = new CancellationTokenSource();
        var cancelled = await AttemptAsync(stage, run.Token, t =>
        {
            run.Cancel();
            return t.IsCancellationRequested ? TaskOutcome.Cancelled : TaskOutcome.Completed(null);
        });
        Assert.That(cancelled.Outcome.IsCancelled, Is.True, "the caller's cancellation reaches the attempt's token; cancelled, not timed out");

        var next = await AttemptAsync(stage, CancellationToken.None, t => t.IsCancellationRequested ? TaskOutcome.Cancelled : TaskOutcome.Completed(null));
        Assert.That(next.Seen, Is.Not.EqualTo(cancelled.Seen));
        Assert.That(next.Outcome.IsCompleted, Is.True);

        // A completed attempt under a live caller token: the registration is undone, so cancelling that caller later
        // does not reach the reused source.
        using var later = new CancellationTokenSource();
        var done = await AttemptAsync(stage, later.Token, _ => TaskOutcome.Completed(null));
        later.Cancel();
        var after = await AttemptAsync(stage, CancellationToken.None, t => t.IsCancellationRequested ? TaskOutcome.Cancelled : TaskOutcome.Completed(null));
        Assert.That(after.Seen, Is.EqualTo(done.Seen), "reused");
        Assert.That(after.Outcome.IsCompleted, Is.True, "an earlier caller's cancellation does not reach a reused source");
    }

    [Test]
    public async Task A_deadline_that_fires_ends_the_attempt_timed_out_and_its_source_is_not_reused()
    {
        var stage = new TimeoutStage(TimeProvider.System);
        var context = Context(CancellationToken.None, TimeSpan.FromMilliseconds(20));
        var seen = default(CancellationToken);
        var outcome = await stage.InvokeAsync(context, async c =>
        {
            seen = c.CancellationToken;
            try
            {
                await Task.Delay(Timeout.Infinite, c.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                return TaskOutcome.Cancelled;
            }
            return TaskOutcome.Completed(null);
        });
        Assert.That(outcome.IsFailed, Is.True);
        Assert.That(outcome.Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskTimeout));

        var next = await AttemptAsync(stage, CancellationToken.None, t => t.IsCancellationRequested ? TaskOutcome.Cancelled : TaskOutcome.Completed(null));
        Assert.That(next.Seen, Is.Not.EqualTo(seen));
        Assert.That(next.Outcome.IsCompleted, Is.True);
    }
}
