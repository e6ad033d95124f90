using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>
/// Reads over many runs take a number of round trips bounded by the number of chunks, not one per run (no N+1), and
/// every method of the store and the queue honours its cancellation token: cancelled before it starts, it writes nothing.
/// </summary>
public sealed class RedisStoreEfficiencyTests
{
    private const int Runs = 300;
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private RedisWorkflowStore _store = null!;

    [SetUp]
    public void SetUp() => _store = new RedisWorkflowStore(RedisTestServer.NewOptions("efficiency"));

    [TearDown]
    public async Task TearDown() => await _store.DisposeAsync();

    private static WorkflowRun NewRun(string id, string name, WorkflowStatus status = WorkflowStatus.Completed)
    {
        var workflow = new WorkflowBuilder(name).AddTask("a", "echo/echo", new JsonObject { ["message"] = "hi" }).Build() with { Id = id };
        return new WorkflowRun
        {
            WorkflowId = id,
            Name = name,
            Status = status,
            Workflow = workflow,
            CreatedAt = T0,
            StartedAt = T0,
            CompletedAt = T0.AddSeconds(2),
            Tasks = new Dictionary<string, TaskResult>
            {
                ["a"] = TaskResult.Pending("a") with { Status = WorkflowTaskStatus.Completed, Result = new JsonObject { ["response"] = "hi" }, StartedAt = T0, CompletedAt = T0.AddSeconds(1), Attempts = 1 },
            },
        };
    }

    private async Task CreateRunsAsync(int count, string name)
    {
        for (var i = 0; i < count; i += 50)
        {
            await Task.WhenAll(Enumerable.Range(i, Math.Min(50, count - i)).Select(n => _store.CreateRunAsync(NewRun($"{name}-{n}", name)).AsTask()));
        }
    }

    private async Task<long> RoundTripsOf(Func<Task> action)
    {
        var before = _store.Connection.RoundTrips;
        await action();
        return _store.Connection.RoundTrips - before;
    }

    [Test]
    public async Task Statistics_over_many_runs_take_a_few_round_trips_not_one_per_run()
    {
        await CreateRunsAsync(Runs, "stats");

        StoreStatistics stats = null!;
        var trips = await RoundTripsOf(async () => stats = await _store.GetStatisticsAsync());

        Assert.That(stats.TotalRuns, Is.EqualTo(Runs));
        Assert.That(stats.TotalTasks, Is.EqualTo(Runs));
        Assert.That(stats.RunsByStatus[WorkflowStatus.Completed], Is.EqualTo(Runs));
        Assert.That(stats.AverageRunDuration, Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(stats.AverageTaskDuration, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(trips, Is.LessThanOrEqualTo(5), "round trips for the statistics of 300 runs");
    }

    [Test]
    public async Task Results_by_workflow_name_take_a_few_round_trips_not_one_per_run()
    {
        await CreateRunsAsync(Runs, "results");
        await _store.CreateRunAsync(NewRun("other-1", "other"));

        IReadOnlyList<StoredTaskResult> results = null!;
        var trips = await RoundTripsOf(async () => results = await _store.GetResultsByWorkflowNameAsync("results"));

        Assert.That(results, Has.Count.EqualTo(Runs));
        Assert.That(results.Select(r => r.WorkflowName).Distinct(), Is.EqualTo(new[] { "results" }));
        Assert.That(results.All(r => (string?)r.Task.Result!["response"] == "hi"), Is.True);
        Assert.That(trips, Is.LessThanOrEqualTo(8), "round trips for the results of 300 runs");
    }

    [Test]
    public async Task Purge_of_many_runs_takes_a_few_round_trips_not_one_per_run()
    {
        await CreateRunsAsync(Runs, "purge");
        await _store.CreateRunAsync(NewRun("running-1", "purge", WorkflowStatus.Running) with { CompletedAt = null });

        var removed = 0;
        var trips = await RoundTripsOf(async () => removed = await _store.PurgeAsync(T0.AddDays(1)));

        Assert.That(removed, Is.EqualTo(Runs));
        Assert.That(await _store.GetRunAsync("purge-7"), Is.Null);
        Assert.That(await _store.GetEventsAsync("purge-7"), Is.Empty);
        Assert.That(await _store.GetRunAsync("running-1"), Is.Not.Null);
        Assert.That(trips, Is.LessThanOrEqualTo(8), "round trips to purge 300 runs");
    }

    private static CancellationToken Cancelled() => new(canceled: true);

    [Test]
    public async Task Store_writes_with_a_cancelled_token_write_nothing()
    {
        await _store.CreateRunAsync(NewRun("kept", "w", WorkflowStatus.Running));

        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await _store.CreateRunAsync(NewRun("never", "w"), Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(),
            async () => await _store.UpdateRunStatusAsync("kept", WorkflowStatus.Failed, T0, cancellationToken: Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(),
            async () => await _store.SaveTaskAsync("kept", TaskResult.Pending("a") with { Status = WorkflowTaskStatus.Failed }, Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await _store.PurgeAsync(DateTimeOffset.MaxValue, Cancelled()));

        Assert.That(await _store.GetRunAsync("never"), Is.Null);
        var kept = await _store.GetRunAsync("kept");
        Assert.That(kept!.Status, Is.EqualTo(WorkflowStatus.Running));
        Assert.That(kept.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
    }

    [Test]
    public async Task Store_reads_with_a_cancelled_token_are_cancelled()
    {
        await _store.CreateRunAsync(NewRun("r", "w"));

        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await _store.GetRunAsync("r", Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await _store.ListRunsAsync(null, Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await _store.GetTaskResultAsync("a", null, Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await _store.GetResultsByWorkflowNameAsync("w", Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await _store.GetStatisticsAsync(Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await _store.GetEventsAsync("r", Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await _store.ConnectAsync(Cancelled()));
    }

    [Test]
    public async Task Queue_calls_with_a_cancelled_token_change_nothing()
    {
        var queue = new RedisWorkflowQueue(_store);
        var workflow = new WorkflowBuilder("q").AddTask("a", "echo/echo", new JsonObject { ["message"] = "hi" }).Build();
        var id = await queue.SubmitAsync(workflow);

        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await queue.SubmitAsync(workflow, workflowId: "never", cancellationToken: Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await queue.CancelAsync(id, Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await queue.IsQueuedAsync(id, Cancelled()));
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await queue.WaitAsync(id, Cancelled()));

        Assert.That(await _store.GetRunAsync("never"), Is.Null);
        var run = (await queue.GetRunAsync(id))!;
        Assert.That(run.Status, Is.Not.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(run.Tasks["a"].Status, Is.Not.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(await queue.IsQueuedAsync(id), Is.True);
    }
}
