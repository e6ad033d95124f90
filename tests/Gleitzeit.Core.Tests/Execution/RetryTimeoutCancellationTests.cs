using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gleitzeit.Core.Tests.Execution;

public class RetryTimeoutCancellationTests
{
    private FakeTimeProvider _time = null!;

    [SetUp]
    public void SetUp() => _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private ExecutionEngine Engine(ITaskProvider provider, GleitzeitOptions? options = null)
    {
        var registry = new ProviderRegistry();
        registry.Register(provider);
        return new ExecutionEngine(registry, options: Options.Create(options ?? new GleitzeitOptions()), timeProvider: _time);
    }

    /// <summary>Collects events and lets a test wait for one, without sleeping.</summary>
    private sealed class EventLog
    {
        private readonly List<WorkflowEvent> _events = [];
        private readonly List<(Func<WorkflowEvent, bool> Match, TaskCompletionSource Signal)> _waiters = [];

        public void Add(WorkflowEvent e)
        {
            lock (_events)
            {
                _events.Add(e);
                foreach (var w in _waiters.Where(w => w.Match(e)).ToList())
                {
                    w.Signal.TrySetResult();
                    _waiters.Remove(w);
                }
            }
        }

        public List<WorkflowEvent> All
        {
            get { lock (_events) return [.. _events]; }
        }

        public Task WaitFor(Func<WorkflowEvent, bool> match)
        {
            lock (_events)
            {
                if (_events.Any(match)) return Task.CompletedTask;
                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((match, tcs));
                return tcs.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
    }

    private static Workflow OneTask(Action<TaskBuilder>? configure = null) =>
        new WorkflowBuilder("one").AddTask("a", "test/run", null, configure).Build();

    [Test]
    public async Task A_retryable_error_is_retried_after_the_backoff_and_then_succeeds()
    {
        var calls = 0;
        var provider = new RecordingProvider(behaviour: (_, _) => ++calls < 3
            ? throw new GleitzeitException(GleitzeitErrorCode.ProviderOverloaded, "busy")
            : ValueTask.FromResult<JsonNode?>(new JsonObject { ["ok"] = true }));
        await using var engine = Engine(provider);
        var log = new EventLog();
        var workflow = OneTask(t => t.WithRetry(3, TimeSpan.FromSeconds(2), backoffFactor: 3, jitter: false));

        var running = engine.RunAsync(workflow, new RunOptions { OnEvent = log.Add });
        await log.WaitFor(e => e is TaskRetrying { NextAttempt: 2 });
        _time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.That(calls, Is.EqualTo(1), "the retry must wait for its delay");
        _time.Advance(TimeSpan.FromSeconds(0.1));
        await log.WaitFor(e => e is TaskRetrying { NextAttempt: 3 });
        var second = log.All.OfType<TaskRetrying>().Single(e => e.NextAttempt == 3);
        Assert.That(second.Delay, Is.EqualTo(TimeSpan.FromSeconds(6)), "exponential backoff: 2 s * 3");
        _time.Advance(TimeSpan.FromSeconds(6));
        var run = await running;

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["a"].Attempts, Is.EqualTo(3));
        Assert.That(calls, Is.EqualTo(3));
    }

    [Test]
    public async Task A_non_retryable_error_fails_at_once()
    {
        var provider = new RecordingProvider(behaviour: (_, _) => throw new GleitzeitException(GleitzeitErrorCode.InvalidParams, "bad"));
        await using var engine = Engine(provider);

        var run = await engine.RunAsync(OneTask(t => t.WithRetry(5, TimeSpan.FromSeconds(1))));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["a"].Attempts, Is.EqualTo(1));
        Assert.That(run.Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.InvalidParams));
    }

    [Test]
    public async Task Retry_after_from_the_provider_overrides_the_backoff()
    {
        var calls = 0;
        var provider = new RecordingProvider(behaviour: (_, _) => ++calls == 1
            ? throw new GleitzeitException(GleitzeitErrorCode.ProviderRateLimited, "429") { RetryAfter = TimeSpan.FromSeconds(42) }
            : ValueTask.FromResult<JsonNode?>(JsonValue.Create(1)));
        await using var engine = Engine(provider);
        var log = new EventLog();

        var running = engine.RunAsync(OneTask(t => t.WithRetry(2, TimeSpan.FromSeconds(1))), new RunOptions { OnEvent = log.Add });
        await log.WaitFor(e => e is TaskRetrying);
        Assert.That(log.All.OfType<TaskRetrying>().Single().Delay, Is.EqualTo(TimeSpan.FromSeconds(42)));
        _time.Advance(TimeSpan.FromSeconds(42));

        Assert.That((await running).Status, Is.EqualTo(WorkflowStatus.Completed));
    }

    /// <summary>Runs a task whose provider answers 429 with <paramref name="retryAfter"/>; returns the run unless it was parked for a retry.</summary>
    private async Task<(WorkflowRun? Run, EventLog Log)> RateLimitedAsync(TimeSpan retryAfter, Func<WorkflowBuilder, WorkflowBuilder>? configure = null)
    {
        var provider = new RecordingProvider(behaviour: (_, _) =>
            throw new GleitzeitException(GleitzeitErrorCode.ProviderRateLimited, "HTTP 429: slow down") { RetryAfter = retryAfter });
        await using var engine = Engine(provider);
        var log = new EventLog();
        var builder = new WorkflowBuilder("limited").AddTask("a", "test/run", null, t => t.WithRetry(3, TimeSpan.FromSeconds(1), maxDelay: TimeSpan.FromSeconds(60)));
        var running = engine.RunAsync((configure?.Invoke(builder) ?? builder).Build(), new RunOptions { OnEvent = log.Add });
        var retrying = log.WaitFor(e => e is TaskRetrying);
        await Task.WhenAny(running, retrying);
        return (running.IsCompleted ? await running : null, log);
    }

    [Test]
    public async Task A_retry_after_longer_than_max_delay_fails_the_task_with_the_providers_message_instead_of_parking_it()
    {
        var (run, log) = await RateLimitedAsync(TimeSpan.FromSeconds(100_000));

        Assert.That(log.All.OfType<TaskRetrying>(), Is.Empty, "a 27-hour wait must not be scheduled");
        Assert.That(run, Is.Not.Null);
        var error = run!.Tasks["a"].Error!;
        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderRateLimited));
        Assert.That(error.Message, Does.Contain("HTTP 429: slow down").And.Contain("max_delay"));
        Assert.That(run.Tasks["a"].Attempts, Is.EqualTo(1));
    }

    [Test]
    public async Task A_retry_after_http_date_far_in_the_future_fails_the_task_and_does_not_crash_the_attempt()
    {
        // What the Ollama handler computes for "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT".
        var (run, _) = await RateLimitedAsync(DateTimeOffset.MaxValue - _time.GetUtcNow());

        Assert.That(run, Is.Not.Null);
        Assert.That(run!.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderRateLimited), run.Tasks["a"].Error!.ToString());
        Assert.That(run.Tasks["a"].Error!.Message, Does.Contain("HTTP 429: slow down"));
    }

    [Test]
    public async Task A_retry_after_beyond_the_runs_remaining_time_fails_the_task()
    {
        var (run, log) = await RateLimitedAsync(TimeSpan.FromSeconds(45), b => b.WithTimeout(TimeSpan.FromSeconds(30)));

        Assert.That(log.All.OfType<TaskRetrying>(), Is.Empty);
        Assert.That(run, Is.Not.Null);
        Assert.That(run!.Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderRateLimited));
        Assert.That(run.Tasks["a"].Error!.Message, Does.Contain("HTTP 429: slow down").And.Contain("the time the run has left"));
    }

    [Test]
    public async Task Exhausted_retries_report_the_last_error()
    {
        var provider = new RecordingProvider(behaviour: (_, _) => throw new GleitzeitException(GleitzeitErrorCode.NetworkConnectionLost, "gone"));
        await using var engine = Engine(provider);
        var log = new EventLog();

        var running = engine.RunAsync(OneTask(t => t.WithRetry(2, TimeSpan.FromSeconds(1), jitter: false)), new RunOptions { OnEvent = log.Add });
        await log.WaitFor(e => e is TaskRetrying);
        _time.Advance(TimeSpan.FromSeconds(1));
        var run = await running;

        Assert.That(run.Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskRetriesExhausted));
        Assert.That(run.Tasks["a"].Error!.Message, Does.Contain("NETWORK_CONNECTION_LOST").And.Contain("gone"));
        Assert.That(run.Tasks["a"].Attempts, Is.EqualTo(2));
    }

    [Test]
    public async Task A_task_that_outlives_its_timeout_fails_with_task_timeout_and_its_token_fires()
    {
        var tokenFired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new RecordingProvider(behaviour: async (_, ct) =>
        {
            entered.TrySetResult();
            ct.Register(() => tokenFired.TrySetResult());
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return null;
        });
        await using var engine = Engine(provider);
        var log = new EventLog();

        var running = engine.RunAsync(OneTask(t => t.WithTimeout(TimeSpan.FromSeconds(30)).WithRetry(RetryPolicy.None)), new RunOptions { OnEvent = log.Add });
        // The deadline is armed when the provider is called: move the clock only once it has been.
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _time.Advance(TimeSpan.FromSeconds(30));
        var run = await running;

        await tokenFired.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(run.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(run.Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskTimeout));
    }

    [Test]
    public async Task A_provider_that_ignores_its_token_still_times_out()
    {
        var never = new TaskCompletionSource<JsonNode?>();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new RecordingProvider(behaviour: (_, _) =>
        {
            entered.TrySetResult();
            return new ValueTask<JsonNode?>(never.Task);
        });
        await using var engine = Engine(provider);
        var log = new EventLog();

        var running = engine.RunAsync(OneTask(t => t.WithTimeout(TimeSpan.FromSeconds(5)).WithRetry(RetryPolicy.None)), new RunOptions { OnEvent = log.Add });
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.That((await running).Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskTimeout));
    }

    [Test]
    public async Task A_timed_out_task_is_retried_as_retryable()
    {
        var calls = 0;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new RecordingProvider(behaviour: async (_, ct) =>
        {
            entered.TrySetResult();
            if (++calls == 1) await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return JsonValue.Create("second try");
        });
        await using var engine = Engine(provider);
        var log = new EventLog();

        var running = engine.RunAsync(OneTask(t => t.WithTimeout(TimeSpan.FromSeconds(5)).WithRetry(2, TimeSpan.FromSeconds(1), jitter: false)), new RunOptions { OnEvent = log.Add });
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _time.Advance(TimeSpan.FromSeconds(5));
        await log.WaitFor(e => e is TaskRetrying);
        _time.Advance(TimeSpan.FromSeconds(1));
        var run = await running;

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)run.GetResult("a"), Is.EqualTo("second try"));
    }

    [Test]
    public async Task The_workflow_timeout_fails_the_run()
    {
        var provider = new RecordingProvider(behaviour: async (_, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return null;
        });
        await using var engine = Engine(provider);
        var log = new EventLog();
        var workflow = new WorkflowBuilder("slow").WithTimeout(TimeSpan.FromSeconds(60))
            .AddTask("a", "test/run").AddTask("b", "test/run", null, t => t.DependsOn("a")).Build();

        var running = engine.RunAsync(workflow, new RunOptions { OnEvent = log.Add });
        await log.WaitFor(e => e is TaskStarted);
        _time.Advance(TimeSpan.FromSeconds(60));
        var run = await running;

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Error!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowTimeout));
        Assert.That(run.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
    }

    [Test]
    public async Task Cancelling_stops_running_tasks_and_leaves_the_run_cancelled()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancellation = false;
        var provider = new RecordingProvider(behaviour: async (inv, ct) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException)
            {
                sawCancellation = true;
                throw;
            }
            return null;
        });
        await using var engine = Engine(provider, new GleitzeitOptions { MaxConcurrency = 1 });
        var workflow = new WorkflowBuilder("cancel")
            .AddTask("a", "test/run").AddTask("b", "test/run").AddTask("c", "test/run", null, t => t.DependsOn("a")).Build();

        var id = await engine.SubmitAsync(workflow);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await engine.CancelAsync(id);
        var run = await engine.WaitAsync(id);

        Assert.That(sawCancellation, Is.True);
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(run.Tasks.Values.Select(t => t.Status), Has.All.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(provider.TotalCalls, Is.EqualTo(1));
        var stored = await engine.Store.GetRunAsync(id);
        Assert.That(stored!.Status, Is.EqualTo(WorkflowStatus.Cancelled));
    }

    [Test]
    public async Task Cancelling_the_token_of_RunAsync_cancels_the_run()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new RecordingProvider(behaviour: async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return null;
        });
        await using var engine = Engine(provider);
        using var cts = new CancellationTokenSource();

        var running = engine.RunAsync(OneTask(), cancellationToken: cts.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        Assert.That((await running).Status, Is.EqualTo(WorkflowStatus.Cancelled));
    }

    [Test]
    public async Task A_failed_task_skips_its_dependents_while_independent_branches_complete()
    {
        var provider = new RecordingProvider(behaviour: (inv, _) => inv.TaskId == "bad"
            ? throw new InvalidOperationException("boom")
            : ValueTask.FromResult<JsonNode?>(JsonValue.Create(inv.TaskId)));
        await using var engine = Engine(provider);
        var workflow = new WorkflowBuilder("branches")
            .AddTask("bad", "test/run")
            .AddTask("child", "test/run", null, t => t.DependsOn("bad"))
            .AddTask("grandchild", "test/run", null, t => t.DependsOn("child"))
            .AddTask("good", "test/run")
            .AddTask("after_good", "test/run", null, t => t.DependsOn("good"))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["bad"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That(run.Tasks["bad"].Error!.Message, Does.Contain("InvalidOperationException: boom"));
        Assert.That(run.Tasks["child"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["child"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskDependencyFailed));
        Assert.That(run.Tasks["grandchild"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["after_good"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(provider.Calls.Keys, Is.EquivalentTo(new[] { "bad", "good", "after_good" }));
        Assert.That(run.Error!.Message, Does.Contain("bad"));
    }
}
