using Gleitzeit.Core.Cost;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Llm;
using Gleitzeit.Testing;

namespace Gleitzeit.Core.Tests.Cost;

public class RateLimitStageTests
{
    /// <summary>Collects a run's events and lets the test wait for a condition on them, without sleeping.</summary>
    private sealed class Events
    {
        private readonly List<WorkflowEvent> _all = [];
        private readonly List<(Func<List<WorkflowEvent>, bool> Done, TaskCompletionSource Signal)> _waiters = [];

        public void Add(WorkflowEvent e)
        {
            lock (_all)
            {
                _all.Add(e);
                foreach (var w in _waiters.Where(w => w.Done(_all)).ToList())
                {
                    w.Signal.TrySetResult();
                    _waiters.Remove(w);
                }
            }
        }

        public List<WorkflowEvent> All
        {
            get { lock (_all) return [.. _all]; }
        }

        public Task Until(Func<List<WorkflowEvent>, bool> done)
        {
            lock (_all)
            {
                if (done(_all)) return Task.CompletedTask;
                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((done, tcs));
                return tcs.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }

        public static Func<List<WorkflowEvent>, bool> Completed(int n) => all => all.OfType<TaskCompleted>().Count() >= n;
    }

    [Test]
    public async Task Over_the_request_limit_tasks_wait_on_the_fake_clock_without_holding_the_only_slot_and_never_fail()
    {
        // 60 a minute: one at once, then one a second. One slot for the whole engine: the waiting LLM tasks must leave it free.
        await using var h = new CostHarness(maxConcurrency: 1, rateLimit: new RateLimitOptions { RequestsPerMinute = 60 });
        var workflow = h.Load("""
            name: limited
            tasks:
              - { id: a, method: llm/chat, priority: high, params: { prompt: a } }
              - { id: b, method: llm/chat, priority: high, params: { prompt: b } }
              - { id: c, method: llm/chat, priority: high, params: { prompt: c } }
              - { id: p, method: python/execute, priority: low, params: { value: 1 } }
            """);
        var events = new Events();
        var running = h.Engine.RunAsync(workflow, new RunOptions { OnEvent = events.Add });

        await events.Until(all => all.OfType<TaskCompleted>().Any(c => c.TaskId == "p") && all.OfType<TaskRateLimited>().Select(r => r.TaskId).Distinct().Count() == 2);
        Assert.That(h.Client.Calls, Is.EqualTo(1), "one call in the first second");
        Assert.That(events.All.OfType<TaskRateLimited>().Select(r => r.Delay).Distinct(), Is.EqualTo(new[] { TimeSpan.FromSeconds(1) }));
        Assert.That(events.All.OfType<TaskRateLimited>().Select(r => r.Provider).Distinct(), Is.EqualTo(new[] { "llm" }));

        h.Time.Advance(TimeSpan.FromSeconds(1));
        await events.Until(Events.Completed(3));
        Assert.That(h.Client.Calls, Is.EqualTo(2), "one more after a second");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var run = await running;

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(h.Client.Calls, Is.EqualTo(3));
        Assert.That(run.Tasks.Values.Select(t => t.Attempts), Is.All.EqualTo(1), "waiting for the limit is no attempt");
    }

    [Test]
    public async Task Tokens_used_beyond_the_reservation_delay_the_next_call()
    {
        // 600 tokens a minute: the bucket holds 10 and refills 10 a second. The first call takes 1, then uses 30: 21 owed.
        await using var h = new CostHarness(rateLimit: new RateLimitOptions { TokensPerMinute = 600 });
        var workflow = h.Load("""
            name: tokens
            tasks:
              - { id: a, method: llm/chat, params: { prompt: a } }
              - { id: b, method: llm/chat, dependencies: [a], params: { prompt: b } }
            """);
        var events = new Events();
        var running = h.Engine.RunAsync(workflow, new RunOptions { OnEvent = events.Add });

        await events.Until(all => all.OfType<TaskRateLimited>().Any());
        var limited = events.All.OfType<TaskRateLimited>().Single();
        Assert.That(limited.TaskId, Is.EqualTo("b"));
        Assert.That(limited.Delay, Is.EqualTo(TimeSpan.FromMilliseconds(2100)), "(1 + 20 owed) tokens at 10 a second");
        Assert.That((await h.Engine.GetRunAsync(limited.WorkflowId))!.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Queued));

        h.Time.Advance(TimeSpan.FromMilliseconds(2100));
        var run = await running;
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["b"].Attempts, Is.EqualTo(1));
    }

    [Test]
    public async Task Tasks_of_other_protocols_and_unlimited_providers_pass_straight_through()
    {
        await using var h = new CostHarness();
        var workflow = h.Load("name: free\ntasks:\n" + string.Join("", Enumerable.Range(0, 5).Select(i => $"  - {{ id: t{i}, method: llm/chat, params: {{ prompt: p{i} }} }}\n")));
        var events = new Events();
        var run = await h.Engine.RunAsync(workflow, new RunOptions { OnEvent = events.Add });

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(events.All.OfType<TaskRateLimited>(), Is.Empty);
    }

    [TestCase(0, null, "LlmOptions.RateLimit.requests_per_minute must be at least 1, got 0")]
    [TestCase(null, -5, "LlmOptions.RateLimit.tokens_per_minute must be at least 1, got -5")]
    public void A_rate_limit_of_zero_or_less_is_refused(int? rpm, int? tpm, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new LlmProvider(new UsageChatClient(), options: new LlmOptions { RateLimit = new RateLimitOptions { RequestsPerMinute = rpm, TokensPerMinute = tpm } }))!;
        Assert.That(ex.Message, Does.Contain(message));
    }

    [Test]
    public void The_bucket_holds_one_seconds_worth_and_refills_continuously()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var bucket = TimedTokenBucket.PerMinute(120, clock);
        Assert.That(bucket.Capacity, Is.EqualTo(2));
        Assert.That(bucket.AttemptAcquire(1).IsAcquired, Is.True);
        Assert.That(bucket.AttemptAcquire(1).IsAcquired, Is.True);
        using var refused = bucket.AttemptAcquire(1);
        Assert.That(refused.IsAcquired, Is.False);
        Assert.That(refused.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var wait) ? wait : default, Is.EqualTo(TimeSpan.FromMilliseconds(500)));
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.That(bucket.AttemptAcquire(1).IsAcquired, Is.True);
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.That(bucket.GetStatistics()!.CurrentAvailablePermits, Is.EqualTo(2), "never more than its capacity");
    }
}
