using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>The engine's lease on a run: renewed on a heartbeat of its TimeProvider while the run is active, so no other
/// owner can take the run over; a run whose lease was taken over anyway stops without writing (issue 15.8).</summary>
public sealed class LeaseHeartbeatTests
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);

    private static (ExecutionEngine Engine, TaskCompletionSource Started) Blocking(IWorkflowStore store, FakeTimeProvider time)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("echo/v1", async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        }, "echo"));
        var options = Options.Create(new GleitzeitOptions { RunLeaseDuration = LeaseDuration, DefaultTaskTimeout = null });
        return (new ExecutionEngine(registry, store, options, timeProvider: time), started);
    }

    private static Workflow OneTask(string id) => new WorkflowBuilder("leased")
        .AddTask("a", "echo", new JsonObject(), t => t.WithProtocol("echo/v1"))
        .Build() with { Id = id };

    [Test]
    public async Task The_heartbeat_renews_the_lease_so_no_other_owner_takes_a_live_run_over()
    {
        var store = new InMemoryWorkflowStore();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (engine, started) = Blocking(store, time);
        await using var _ = engine;
        var run = engine.RunAsync(OneTask("live"));
        await started.Task;
        var first = await store.GetLeaseAsync("live");
        Assert.That(first!.ExpiresAt, Is.EqualTo(time.GetUtcNow() + LeaseDuration));

        for (var i = 0; i < 9; i++) time.Advance(LeaseDuration / 3);   // three lease durations

        var renewed = await store.GetLeaseAsync("live");
        Assert.That(renewed!.Owner, Is.EqualTo(first.Owner));
        Assert.That(renewed.ExpiresAt, Is.GreaterThan(time.GetUtcNow()), "renewed every third of the duration: never expired");
        var other = await store.AcquireLeaseAsync("live", new RunLease("other", "elsewhere", 1, time.GetUtcNow() + LeaseDuration), time.GetUtcNow());
        Assert.That(other.Owner, Is.EqualTo(first.Owner), "a live run is not taken over");
        Assert.That(run.IsCompleted, Is.False);
    }

    [Test]
    public async Task An_engine_that_finds_its_run_taken_over_stops_it_without_writing_anything_more()
    {
        var store = new InMemoryWorkflowStore();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (engine, started) = Blocking(store, time);
        await using var _ = engine;
        var run = engine.RunAsync(OneTask("taken"));
        await started.Task;
        var mine = await store.GetLeaseAsync("taken");
        var eventsBefore = (await store.GetEventsAsync("taken")).Count;

        // Another process took the run over (as after this one was suspended past its lease's expiry).
        await store.AcquireLeaseAsync("taken", new RunLease("other", "elsewhere", 7, time.GetUtcNow() + TimeSpan.FromHours(1)), time.GetUtcNow(), takeOverFrom: mine!.Owner);
        time.Advance(LeaseDuration / 3);

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await run);
        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowLeased));
        Assert.That((await store.GetEventsAsync("taken")).Count, Is.EqualTo(eventsBefore), "the new owner's run is left alone");
        Assert.That((await store.GetLeaseAsync("taken"))!.Owner, Is.EqualTo("other"));
    }

    [Test]
    public async Task A_run_cancelled_from_another_process_is_stopped_by_its_owner_at_the_next_heartbeat()
    {
        var store = new InMemoryWorkflowStore();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (owner, started) = Blocking(store, time);
        await using var _ = owner;
        var run = owner.RunAsync(OneTask("cancel-me"));
        await started.Task;

        await using var elsewhere = new ExecutionEngine(new ProviderRegistry(), store, timeProvider: time);
        await elsewhere.CancelAsync("cancel-me");
        Assert.That(run.IsCompleted, Is.False, "the owner has not heard of it yet");
        time.Advance(LeaseDuration / 3);
        var ended = await run;

        Assert.That(ended.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(ended.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That((await store.GetRunAsync("cancel-me"))!.Status, Is.EqualTo(WorkflowStatus.Cancelled), "the owner does not overwrite the cancellation");
        Assert.That(await store.GetLeaseAsync("cancel-me"), Is.Null);
    }
}
