using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using NUnit.Framework;

namespace Gleitzeit.Testing.Persistence;

/// <summary>
/// The whole <see cref="IWorkflowStore"/> contract. Every store's test project derives a fixture from this class and
/// supplies <see cref="CreateStoreAsync"/>, which must return an empty store that no other test uses.
/// </summary>
[TestFixture]
public abstract class WorkflowStoreConformanceTests
{
    /// <summary>A fixed, whole-millisecond instant: stores keep timestamps at least to the millisecond.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, 123, TimeSpan.Zero);

    private IWorkflowStore? _store;

    /// <summary>Returns a new, empty store for one test.</summary>
    protected abstract ValueTask<IWorkflowStore> CreateStoreAsync();

    /// <summary>The store of the current test.</summary>
    protected IWorkflowStore Store => _store ?? throw new InvalidOperationException("no store: SetUp did not run");

    /// <summary>The engine's side of the store: the tests of writes and of reading a run back go through it.</summary>
    protected IWorkflowStateStore State => Store;

    /// <summary>The query side of the store: the tests of listing, results, statistics, events and purge go through it.</summary>
    protected IWorkflowHistory History => Store;

    [SetUp]
    public async Task CreateStoreForTestAsync() => _store = await CreateStoreAsync();

    [TearDown]
    public async Task DisposeStoreForTestAsync()
    {
        switch (_store)
        {
            case IAsyncDisposable a: await a.DisposeAsync(); break;
            case IDisposable d: d.Dispose(); break;
        }
        _store = null;
    }

    // ------------------------------------------------------------------ create and get

    [Test]
    public async Task Created_run_round_trips_definition_inputs_and_task_states()
    {
        var run = NewRun("wf-1", "report", T0);

        await State.CreateRunAsync(run);
        var stored = await State.GetRunAsync("wf-1");

        Assert.That(stored, Is.Not.Null);
        Assert.That(stored!.WorkflowId, Is.EqualTo("wf-1"));
        Assert.That(stored.Name, Is.EqualTo("report"));
        Assert.That(stored.Status, Is.EqualTo(WorkflowStatus.Pending));
        Assert.That(stored.CreatedAt, Is.EqualTo(T0));
        Assert.That(stored.StartedAt, Is.Null);
        Assert.That(stored.CompletedAt, Is.Null);
        Assert.That(stored.Workflow, Is.Not.Null);
        AssertJsonEqual(StoreJson.ToJson(stored.Workflow!), StoreJson.ToJson(run.Workflow!));
        Assert.That(stored.Inputs.Keys, Is.EquivalentTo(run.Inputs.Keys));
        foreach (var (k, v) in run.Inputs) AssertJsonEqual(stored.Inputs[k], v);
        Assert.That(stored.Tasks.Keys, Is.EqualTo(new[] { "fetch", "parse", "summarize" }));
        Assert.That(stored.Tasks.Values.Select(t => t.Status), Is.All.EqualTo(WorkflowTaskStatus.Pending));
    }

    [Test]
    public async Task Creating_a_run_with_a_taken_id_is_refused()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));

        var ex = await CatchAsync(() => State.CreateRunAsync(NewRun("wf-1", "other", T0.AddMinutes(1))).AsTask());

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowAlreadyExists));
        Assert.That(ex.Message, Does.Contain("wf-1"));
        Assert.That((await State.GetRunAsync("wf-1"))!.Name, Is.EqualTo("report"), "the first run is kept");
    }

    [Test]
    public async Task Unknown_run_reads_as_null_or_empty()
    {
        Assert.That(await State.GetRunAsync("nope"), Is.Null);
        Assert.That(await History.GetEventsAsync("nope"), Is.Empty);
        Assert.That(await History.GetTaskResultAsync("fetch", "nope"), Is.Null);
        Assert.That(await History.GetTaskResultAsync("fetch"), Is.Null);
        Assert.That(await History.ListRunsAsync(), Is.Empty);
        Assert.That(await History.GetResultsByWorkflowNameAsync("report"), Is.Empty);
    }

    [Test]
    public async Task Writing_to_an_unknown_run_is_refused()
    {
        var save = await CatchAsync(() => State.SaveTaskAsync("nope", Completed("fetch", T0, 1)).AsTask());
        var saveMany = await CatchAsync(() => State.SaveTasksAsync("nope", [Completed("fetch", T0, 1)]).AsTask());
        var status = await CatchAsync(() => State.UpdateRunStatusAsync("nope", WorkflowStatus.Running, T0).AsTask());

        Assert.That(new[] { save.Code, saveMany.Code, status.Code }, Is.All.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
        Assert.That(await State.GetRunAsync("nope"), Is.Null);
    }

    [Test]
    public async Task A_run_without_definition_or_tasks_round_trips()
    {
        var bare = new WorkflowRun { WorkflowId = "bare", Name = "bare-name", CreatedAt = T0 };

        await State.CreateRunAsync(bare);
        var stored = await State.GetRunAsync("bare");

        Assert.That(stored!.Workflow, Is.Null);
        Assert.That(stored.Tasks, Is.Empty);
        Assert.That(stored.Inputs, Is.Empty);
    }

    // ------------------------------------------------------------------ run status

    [Test]
    public async Task Run_status_updates_record_start_end_and_error()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));

        await State.UpdateRunStatusAsync("wf-1", WorkflowStatus.Running, T0.AddSeconds(1));
        var running = await State.GetRunAsync("wf-1");
        var error = new GleitzeitError(GleitzeitErrorCode.WorkflowExecutionFailed, "1 task failed", new JsonObject { ["task"] = "parse" });
        await State.UpdateRunStatusAsync("wf-1", WorkflowStatus.Failed, T0.AddSeconds(5), error);
        var failed = await State.GetRunAsync("wf-1");

        Assert.That(running!.Status, Is.EqualTo(WorkflowStatus.Running));
        Assert.That(running.StartedAt, Is.EqualTo(T0.AddSeconds(1)));
        Assert.That(running.CompletedAt, Is.Null);
        Assert.That(failed!.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(failed.StartedAt, Is.EqualTo(T0.AddSeconds(1)));
        Assert.That(failed.CompletedAt, Is.EqualTo(T0.AddSeconds(5)));
        Assert.That(failed.Duration, Is.EqualTo(TimeSpan.FromSeconds(4)));
        Assert.That(failed.Error, Is.Not.Null);
        Assert.That(failed.Error!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowExecutionFailed));
        Assert.That(failed.Error.Message, Is.EqualTo("1 task failed"));
        AssertJsonEqual(failed.Error.Data, error.Data);
    }

    [Test]
    public async Task Running_again_after_a_restart_keeps_the_first_start_and_clears_the_end()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));
        await State.UpdateRunStatusAsync("wf-1", WorkflowStatus.Running, T0.AddSeconds(1));

        await State.UpdateRunStatusAsync("wf-1", WorkflowStatus.Running, T0.AddSeconds(30));
        var resumed = await State.GetRunAsync("wf-1");
        await State.UpdateRunStatusAsync("wf-1", WorkflowStatus.Completed, T0.AddSeconds(40));
        var done = await State.GetRunAsync("wf-1");

        Assert.That(resumed!.StartedAt, Is.EqualTo(T0.AddSeconds(1)));
        Assert.That(resumed.CompletedAt, Is.Null);
        Assert.That(resumed.Error, Is.Null);
        Assert.That(done!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(done.CompletedAt, Is.EqualTo(T0.AddSeconds(40)));
        Assert.That(done.Error, Is.Null);
    }

    // ------------------------------------------------------------------ task states

    [Test]
    public async Task Saved_task_state_replaces_the_previous_one_and_round_trips()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));
        var result = new JsonObject
        {
            ["response"] = "héllo \"quoted\"\nline",
            ["n"] = 42,
            ["ratio"] = 0.25,
            ["flag"] = true,
            ["nothing"] = null,
            ["items"] = new JsonArray(1, "two", new JsonObject { ["three"] = 3 }),
        };

        await State.SaveTaskAsync("wf-1", Running("fetch", T0.AddSeconds(1), 1));
        await State.SaveTaskAsync("wf-1", Completed("fetch", T0.AddSeconds(1), 1, T0.AddSeconds(2), result));
        var stored = (await State.GetRunAsync("wf-1"))!.Tasks["fetch"];

        Assert.That(stored.Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(stored.Attempts, Is.EqualTo(1));
        Assert.That(stored.StartedAt, Is.EqualTo(T0.AddSeconds(1)));
        Assert.That(stored.CompletedAt, Is.EqualTo(T0.AddSeconds(2)));
        Assert.That(stored.Duration, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(stored.Error, Is.Null);
        AssertJsonEqual(stored.Result, result);
    }

    [TestCase("\"just text\"")]
    [TestCase("17")]
    [TestCase("[1,2,3]")]
    [TestCase("false")]
    public async Task Any_json_value_is_a_result(string json)
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));

        await State.SaveTaskAsync("wf-1", Completed("fetch", T0, 1, T0.AddSeconds(1), JsonNode.Parse(json)));

        AssertJsonEqual((await State.GetRunAsync("wf-1"))!.GetResult("fetch"), JsonNode.Parse(json));
    }

    [Test]
    public async Task Failed_task_keeps_its_error_code_message_and_data()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));
        var error = new GleitzeitError(GleitzeitErrorCode.TaskRetriesExhausted, "failed after 3 attempts", new JsonObject { ["last"] = "timeout" });

        await State.SaveTaskAsync("wf-1", new TaskResult
        {
            TaskId = "fetch", Status = WorkflowTaskStatus.Failed, Error = error, Attempts = 3, StartedAt = T0, CompletedAt = T0.AddSeconds(9),
        });
        var stored = (await State.GetRunAsync("wf-1"))!.Tasks["fetch"];

        Assert.That(stored.Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(stored.Result, Is.Null);
        Assert.That(stored.Attempts, Is.EqualTo(3));
        Assert.That(stored.Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskRetriesExhausted));
        Assert.That(stored.Error.Message, Is.EqualTo("failed after 3 attempts"));
        AssertJsonEqual(stored.Error.Data, error.Data);
    }

    [Test]
    public async Task SaveTasks_records_every_task_of_the_batch()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));

        await State.SaveTasksAsync("wf-1",
        [
            Completed("fetch", T0, 1, T0.AddSeconds(1), new JsonObject { ["v"] = 1 }),
            Queued("parse"),
            Queued("summarize"),
        ]);
        var stored = (await State.GetRunAsync("wf-1"))!;

        Assert.That(stored.Tasks["fetch"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(stored.Tasks["parse"].Status, Is.EqualTo(WorkflowTaskStatus.Queued));
        Assert.That(stored.Tasks["summarize"].Status, Is.EqualTo(WorkflowTaskStatus.Queued));
    }

    [Test]
    public async Task SaveTasks_with_an_empty_batch_changes_nothing()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));
        var before = (await History.GetEventsAsync("wf-1")).Count;

        await State.SaveTasksAsync("wf-1", []);

        Assert.That((await History.GetEventsAsync("wf-1")).Count, Is.EqualTo(before));
    }

    [Test]
    public async Task Tasks_come_back_in_definition_order_whatever_the_order_of_writes()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));

        await State.SaveTaskAsync("wf-1", Completed("summarize", T0, 1, T0.AddSeconds(3)));
        await State.SaveTaskAsync("wf-1", Completed("fetch", T0, 1, T0.AddSeconds(1)));
        await State.SaveTaskAsync("wf-1", Completed("parse", T0, 1, T0.AddSeconds(2)));

        Assert.That((await State.GetRunAsync("wf-1"))!.Tasks.Keys, Is.EqualTo(new[] { "fetch", "parse", "summarize" }));
    }

    [Test]
    public async Task Stored_values_are_not_shared_with_the_caller()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));
        var result = new JsonObject { ["v"] = 1 };
        await State.SaveTaskAsync("wf-1", Completed("fetch", T0, 1, T0.AddSeconds(1), result));

        result["v"] = 2;
        var first = (await State.GetRunAsync("wf-1"))!.GetResult("fetch")!.AsObject();
        first["v"] = 3;
        var holder = new JsonObject { ["r"] = first };
        var second = (await State.GetRunAsync("wf-1"))!.GetResult("fetch");

        Assert.That(holder["r"], Is.SameAs(first));
        AssertJsonEqual(second, new JsonObject { ["v"] = 1 });
    }

    // ------------------------------------------------------------------ listing

    [Test]
    public async Task Runs_are_listed_newest_first_with_their_counts()
    {
        await State.CreateRunAsync(NewRun("old", "report", T0));
        await State.CreateRunAsync(NewRun("new", "report", T0.AddMinutes(2)));
        await State.CreateRunAsync(NewRun("mid", "digest", T0.AddMinutes(1)));
        await State.UpdateRunStatusAsync("mid", WorkflowStatus.Running, T0.AddMinutes(1).AddSeconds(1));
        await State.SaveTasksAsync("mid", [Completed("fetch", T0, 1, T0.AddSeconds(1)), Failed("parse", T0, T0.AddSeconds(2)), Skipped("summarize", T0.AddSeconds(2))]);

        var list = await History.ListRunsAsync();

        Assert.That(list.Select(r => r.WorkflowId), Is.EqualTo(new[] { "new", "mid", "old" }));
        var mid = list[1];
        Assert.That(mid.Name, Is.EqualTo("digest"));
        Assert.That(mid.Status, Is.EqualTo(WorkflowStatus.Running));
        Assert.That(mid.CreatedAt, Is.EqualTo(T0.AddMinutes(1)));
        Assert.That(mid.StartedAt, Is.EqualTo(T0.AddMinutes(1).AddSeconds(1)));
        Assert.That(mid.CompletedAt, Is.Null);
        Assert.That(mid.TaskCount, Is.EqualTo(3));
        Assert.That(mid.CompletedTasks, Is.EqualTo(1));
        Assert.That(mid.FailedTasks, Is.EqualTo(1));
    }

    [Test]
    public async Task Runs_created_at_the_same_instant_are_listed_last_created_first()
    {
        await State.CreateRunAsync(NewRun("first", "report", T0));
        await State.CreateRunAsync(NewRun("second", "report", T0));
        await State.CreateRunAsync(NewRun("third", "report", T0));

        var list = await History.ListRunsAsync();

        Assert.That(list.Select(r => r.WorkflowId), Is.EqualTo(new[] { "third", "second", "first" }));
    }

    [Test]
    public async Task Runs_are_filtered_by_status_statuses_and_name()
    {
        await CreateFinishedAsync("done-report", "report", T0, WorkflowStatus.Completed);
        await CreateFinishedAsync("failed-report", "report", T0.AddMinutes(1), WorkflowStatus.Failed);
        await CreateFinishedAsync("done-digest", "digest", T0.AddMinutes(2), WorkflowStatus.Completed);
        await State.CreateRunAsync(NewRun("pending-report", "report", T0.AddMinutes(3)));

        var completed = await History.ListRunsAsync(new RunQuery { Statuses = [WorkflowStatus.Completed] });
        var finishedBadly = await History.ListRunsAsync(new RunQuery { Statuses = [WorkflowStatus.Failed, WorkflowStatus.Pending] });
        var reports = await History.ListRunsAsync(new RunQuery { Name = "report" });
        var completedReports = await History.ListRunsAsync(new RunQuery { Name = "report", Statuses = [WorkflowStatus.Completed] });
        var none = await History.ListRunsAsync(new RunQuery { Name = "Report" });

        Assert.That(completed.Select(r => r.WorkflowId), Is.EqualTo(new[] { "done-digest", "done-report" }));
        Assert.That(finishedBadly.Select(r => r.WorkflowId), Is.EqualTo(new[] { "pending-report", "failed-report" }));
        Assert.That(reports.Select(r => r.WorkflowId), Is.EqualTo(new[] { "pending-report", "failed-report", "done-report" }));
        Assert.That(completedReports.Select(r => r.WorkflowId), Is.EqualTo(new[] { "done-report" }));
        Assert.That(none, Is.Empty, "names match exactly");
    }

    [Test]
    public async Task Runs_are_paged_by_limit_and_offset()
    {
        for (var i = 0; i < 7; i++) await State.CreateRunAsync(NewRun($"r{i}", "report", T0.AddMinutes(i)));

        var page1 = await History.ListRunsAsync(new RunQuery { Limit = 3 });
        var page2 = await History.ListRunsAsync(new RunQuery { Limit = 3, Offset = 3 });
        var page3 = await History.ListRunsAsync(new RunQuery { Limit = 3, Offset = 6 });
        var beyond = await History.ListRunsAsync(new RunQuery { Limit = 3, Offset = 10 });

        Assert.That(page1.Select(r => r.WorkflowId), Is.EqualTo(new[] { "r6", "r5", "r4" }));
        Assert.That(page2.Select(r => r.WorkflowId), Is.EqualTo(new[] { "r3", "r2", "r1" }));
        Assert.That(page3.Select(r => r.WorkflowId), Is.EqualTo(new[] { "r0" }));
        Assert.That(beyond, Is.Empty);
    }

    [Test]
    public async Task Runs_are_paged_by_keyset_after_a_run_id()
    {
        // Two runs share a creation time: the listing order (and so the keyset) still tells them apart.
        for (var i = 0; i < 5; i++) await State.CreateRunAsync(NewRun($"r{i}", i % 2 == 0 ? "even" : "odd", T0.AddMinutes(i)));
        await State.CreateRunAsync(NewRun("r4b", "even", T0.AddMinutes(4)));

        var first = await History.ListRunsAsync(new RunQuery { Limit = 2 });
        var second = await History.ListRunsAsync(new RunQuery { Limit = 2, After = first[^1].WorkflowId });
        var third = await History.ListRunsAsync(new RunQuery { Limit = 2, After = second[^1].WorkflowId });
        var last = await History.ListRunsAsync(new RunQuery { Limit = 2, After = third[^1].WorkflowId });
        var evenAfter = await History.ListRunsAsync(new RunQuery { Name = "even", After = "r3" });
        var unknown = await History.ListRunsAsync(new RunQuery { After = "no-such-run" });

        Assert.That(first.Concat(second).Concat(third).Select(r => r.WorkflowId), Is.EqualTo(new[] { "r4b", "r4", "r3", "r2", "r1", "r0" }));
        Assert.That(last, Is.Empty);
        Assert.That(evenAfter.Select(r => r.WorkflowId), Is.EqualTo(new[] { "r2", "r0" }), "the filter applies to the page after the anchor");
        Assert.That(unknown, Is.Empty);
    }

    [Test]
    public async Task Paging_applies_after_filtering()
    {
        for (var i = 0; i < 6; i++) await State.CreateRunAsync(NewRun($"r{i}", i % 2 == 0 ? "even" : "odd", T0.AddMinutes(i)));

        var page = await History.ListRunsAsync(new RunQuery { Name = "even", Limit = 1, Offset = 1 });

        Assert.That(page.Select(r => r.WorkflowId), Is.EqualTo(new[] { "r2" }));
    }

    // ------------------------------------------------------------------ results

    [Test]
    public async Task Task_result_by_id_comes_from_the_newest_run_unless_a_run_is_named()
    {
        await State.CreateRunAsync(NewRun("old", "report", T0));
        await State.CreateRunAsync(NewRun("new", "report", T0.AddMinutes(1)));
        await State.SaveTaskAsync("old", Completed("fetch", T0, 1, T0.AddSeconds(1), new JsonObject { ["from"] = "old" }));
        await State.SaveTaskAsync("new", Completed("fetch", T0, 1, T0.AddSeconds(1), new JsonObject { ["from"] = "new" }));

        var newest = await History.GetTaskResultAsync("fetch");
        var scoped = await History.GetTaskResultAsync("fetch", "old");
        var missing = await History.GetTaskResultAsync("no-such-task");

        Assert.That(newest!.WorkflowId, Is.EqualTo("new"));
        Assert.That(newest.WorkflowName, Is.EqualTo("report"));
        AssertJsonEqual(newest.Task.Result, new JsonObject { ["from"] = "new" });
        Assert.That(scoped!.WorkflowId, Is.EqualTo("old"));
        AssertJsonEqual(scoped.Task.Result, new JsonObject { ["from"] = "old" });
        Assert.That(missing, Is.Null);
    }

    [Test]
    public async Task Task_result_by_id_skips_newer_runs_without_that_task()
    {
        await State.CreateRunAsync(NewRun("old", "report", T0));
        await State.CreateRunAsync(new WorkflowRun { WorkflowId = "other", Name = "other", CreatedAt = T0.AddMinutes(5) });
        await State.SaveTaskAsync("old", Completed("fetch", T0, 1, T0.AddSeconds(1)));

        var found = await History.GetTaskResultAsync("fetch");

        Assert.That(found!.WorkflowId, Is.EqualTo("old"));
    }

    [Test]
    public async Task Results_by_workflow_name_cover_every_run_of_that_name_newest_first()
    {
        await State.CreateRunAsync(NewRun("old", "report", T0));
        await State.CreateRunAsync(NewRun("other", "digest", T0.AddMinutes(1)));
        await State.CreateRunAsync(NewRun("new", "report", T0.AddMinutes(2)));
        await State.SaveTaskAsync("old", Completed("fetch", T0, 1, T0.AddSeconds(1), new JsonObject { ["run"] = "old" }));
        await State.SaveTaskAsync("new", Completed("fetch", T0, 1, T0.AddSeconds(1), new JsonObject { ["run"] = "new" }));

        var results = await History.GetResultsByWorkflowNameAsync("report");

        Assert.That(results, Has.Count.EqualTo(6), "three tasks in each of two runs");
        Assert.That(results.Select(r => r.WorkflowId).Distinct(), Is.EqualTo(new[] { "new", "old" }), "grouped by run, newest run first");
        Assert.That(results.All(r => r.WorkflowName == "report"));
        Assert.That(results.Where(r => r.WorkflowId == "new").Select(r => r.Task.TaskId), Is.EqualTo(new[] { "fetch", "parse", "summarize" }));
        AssertJsonEqual(results.Single(r => r.WorkflowId == "old" && r.Task.TaskId == "fetch").Task.Result, new JsonObject { ["run"] = "old" });
        Assert.That(await History.GetResultsByWorkflowNameAsync("nothing"), Is.Empty);
    }

    // ------------------------------------------------------------------ statistics

    [Test]
    public async Task Statistics_count_runs_and_tasks_by_status_and_average_durations()
    {
        await CreateFinishedAsync("a", "report", T0, WorkflowStatus.Completed, runSeconds: 10);
        await CreateFinishedAsync("b", "report", T0.AddMinutes(1), WorkflowStatus.Failed, runSeconds: 20);
        await State.CreateRunAsync(NewRun("c", "report", T0.AddMinutes(2)));
        await State.SaveTasksAsync("a", [Completed("fetch", T0, 1, T0.AddSeconds(2)), Completed("parse", T0, 1, T0.AddSeconds(4))]);
        await State.SaveTasksAsync("b", [Failed("fetch", T0, T0.AddSeconds(6)), Skipped("parse", T0.AddSeconds(6))]);

        var stats = await History.GetStatisticsAsync();

        Assert.That(stats.TotalRuns, Is.EqualTo(3));
        Assert.That(stats.RunsByStatus.GetValueOrDefault(WorkflowStatus.Completed), Is.EqualTo(1));
        Assert.That(stats.RunsByStatus.GetValueOrDefault(WorkflowStatus.Failed), Is.EqualTo(1));
        Assert.That(stats.RunsByStatus.GetValueOrDefault(WorkflowStatus.Pending), Is.EqualTo(1));
        Assert.That(stats.RunsByStatus.GetValueOrDefault(WorkflowStatus.Running), Is.EqualTo(0));
        Assert.That(stats.TotalTasks, Is.EqualTo(9));
        Assert.That(stats.TasksByStatus.GetValueOrDefault(WorkflowTaskStatus.Completed), Is.EqualTo(2));
        Assert.That(stats.TasksByStatus.GetValueOrDefault(WorkflowTaskStatus.Failed), Is.EqualTo(1));
        Assert.That(stats.TasksByStatus.GetValueOrDefault(WorkflowTaskStatus.Skipped), Is.EqualTo(1));
        Assert.That(stats.TasksByStatus.GetValueOrDefault(WorkflowTaskStatus.Pending), Is.EqualTo(5));
        Assert.That(stats.AverageRunDuration, Is.EqualTo(TimeSpan.FromSeconds(15)));
        Assert.That(stats.AverageTaskDuration, Is.EqualTo(TimeSpan.FromSeconds(4)), "(2 + 4 + 6) / 3: tasks with a start and an end");
    }

    [Test]
    public async Task Statistics_of_an_empty_store_are_zero()
    {
        var stats = await History.GetStatisticsAsync();

        Assert.That(stats.TotalRuns, Is.Zero);
        Assert.That(stats.TotalTasks, Is.Zero);
        Assert.That(stats.RunsByStatus.Values.Sum(), Is.Zero);
        Assert.That(stats.AverageRunDuration, Is.Null);
        Assert.That(stats.AverageTaskDuration, Is.Null);
    }

    // ------------------------------------------------------------------ events

    [Test]
    public async Task Events_record_every_transition_oldest_first()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));
        await State.UpdateRunStatusAsync("wf-1", WorkflowStatus.Running, T0.AddSeconds(1));
        await State.SaveTaskAsync("wf-1", Running("fetch", T0.AddSeconds(2), 1));
        var retryError = new GleitzeitError(GleitzeitErrorCode.ProviderTimeout, "slow");
        await State.SaveTaskAsync("wf-1", Running("fetch", T0.AddSeconds(2), 1) with { Status = WorkflowTaskStatus.Retrying, Error = retryError });
        await State.SaveTasksAsync("wf-1", [Completed("fetch", T0.AddSeconds(2), 2, T0.AddSeconds(4)), Queued("parse")]);
        await State.UpdateRunStatusAsync("wf-1", WorkflowStatus.Completed, T0.AddSeconds(9));

        var events = await History.GetEventsAsync("wf-1");

        Assert.That(events.Select(e => (e.TaskId, e.Status)), Is.EqualTo(new (string?, string)[]
        {
            (null, "pending"), (null, "running"), ("fetch", "running"), ("fetch", "retrying"), ("fetch", "completed"), ("parse", "queued"), (null, "completed"),
        }));
        Assert.That(events.All(e => e.WorkflowId == "wf-1"));
        Assert.That(events[0].Timestamp, Is.EqualTo(T0));
        Assert.That(events[1].Timestamp, Is.EqualTo(T0.AddSeconds(1)));
        Assert.That(events[3].Error!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderTimeout));
        Assert.That(events[3].Attempt, Is.EqualTo(1));
        Assert.That(events[4].Timestamp, Is.EqualTo(T0.AddSeconds(4)));
        Assert.That(events[4].Attempt, Is.EqualTo(2));
        Assert.That(events[6].Timestamp, Is.EqualTo(T0.AddSeconds(9)));
    }

    [Test]
    public async Task Events_of_one_run_are_not_mixed_with_another()
    {
        await State.CreateRunAsync(NewRun("a", "report", T0));
        await State.CreateRunAsync(NewRun("b", "report", T0));
        await State.SaveTaskAsync("b", Running("fetch", T0, 1));

        var a = await History.GetEventsAsync("a");
        var b = await History.GetEventsAsync("b");

        Assert.That(a.Select(e => e.Status), Is.EqualTo(new[] { "pending" }));
        Assert.That(b.Select(e => e.Status), Is.EqualTo(new[] { "pending", "running" }));
    }

    // ------------------------------------------------------------------ purge

    [Test]
    public async Task Purge_removes_only_finished_runs_that_ended_before_the_cutoff_with_all_their_data()
    {
        await CreateFinishedAsync("old-done", "report", T0, WorkflowStatus.Completed);
        await CreateFinishedAsync("old-failed", "report", T0, WorkflowStatus.Failed);
        await CreateFinishedAsync("old-cancelled", "report", T0, WorkflowStatus.Cancelled);
        await CreateFinishedAsync("recent-done", "report", T0.AddDays(10), WorkflowStatus.Completed);
        await State.CreateRunAsync(NewRun("old-running", "report", T0));
        await State.UpdateRunStatusAsync("old-running", WorkflowStatus.Running, T0);
        await State.CreateRunAsync(NewRun("old-pending", "report", T0));
        await State.SaveTaskAsync("old-done", Completed("fetch", T0, 1, T0.AddSeconds(1), new JsonObject { ["v"] = "old" }));
        await State.SaveTaskAsync("recent-done", Completed("fetch", T0, 1, T0.AddSeconds(1), new JsonObject { ["v"] = "recent" }));

        var removed = await History.PurgeAsync(T0.AddDays(1));

        Assert.That(removed, Is.EqualTo(3));
        Assert.That((await History.ListRunsAsync()).Select(r => r.WorkflowId), Is.EquivalentTo(new[] { "recent-done", "old-running", "old-pending" }));
        Assert.That(await State.GetRunAsync("old-done"), Is.Null);
        Assert.That(await History.GetEventsAsync("old-done"), Is.Empty);
        Assert.That(await History.GetTaskResultAsync("fetch", "old-done"), Is.Null);
        Assert.That((await History.GetTaskResultAsync("fetch"))!.WorkflowId, Is.EqualTo("recent-done"));
        Assert.That((await History.GetResultsByWorkflowNameAsync("report")).Select(r => r.WorkflowId).Distinct(),
            Is.EquivalentTo(new[] { "recent-done", "old-running", "old-pending" }));
        var stats = await History.GetStatisticsAsync();
        Assert.That(stats.TotalRuns, Is.EqualTo(3));
        Assert.That(stats.TotalTasks, Is.EqualTo(9));
        Assert.That(await History.PurgeAsync(T0.AddDays(1)), Is.Zero, "nothing left to purge");
    }

    [Test]
    public async Task A_purged_id_can_be_used_again()
    {
        await CreateFinishedAsync("wf-1", "report", T0, WorkflowStatus.Completed);
        await History.PurgeAsync(T0.AddDays(1));

        await State.CreateRunAsync(NewRun("wf-1", "digest", T0.AddDays(2)));

        var again = await State.GetRunAsync("wf-1");
        Assert.That(again!.Name, Is.EqualTo("digest"));
        Assert.That(again.Status, Is.EqualTo(WorkflowStatus.Pending));
        Assert.That((await History.GetEventsAsync("wf-1")).Select(e => e.Status), Is.EqualTo(new[] { "pending" }));
    }

    // ------------------------------------------------------------------ concurrency

    [Test]
    public async Task Concurrent_writers_and_readers_lose_nothing()
    {
        const int runs = 8, tasksPerRun = 60;
        for (var r = 0; r < runs; r++)
        {
            var tasks = Enumerable.Range(0, tasksPerRun).Select(i => new WorkflowTask { Id = $"t{i}", Protocol = "echo/v1", Method = "echo" }).ToList();
            var workflow = new Workflow { Id = $"run-{r}", Name = "load", Tasks = tasks };
            await State.CreateRunAsync(new WorkflowRun
            {
                WorkflowId = workflow.Id, Name = workflow.Name, Workflow = workflow, CreatedAt = T0.AddSeconds(r),
                Tasks = tasks.ToDictionary(t => t.Id, t => TaskResult.Pending(t.Id)),
            });
        }

        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var reads = 0;
            while (!stop.IsCancellationRequested || reads == 0)
            {
                var run = await State.GetRunAsync($"run-{reads % runs}");
                Assert.That(run!.Tasks, Has.Count.EqualTo(tasksPerRun));
                await History.ListRunsAsync(new RunQuery { Name = "load", Limit = 3 });
                await History.GetTaskResultAsync("t1");
                reads++;
            }
            return reads;
        })).ToList();
        var writers = Enumerable.Range(0, runs * tasksPerRun).Select(n => Task.Run(async () =>
        {
            var runId = $"run-{n % runs}";
            var taskId = $"t{n / runs}";
            await State.SaveTaskAsync(runId, Running(taskId, T0, 1));
            if (n % 2 == 0)
            {
                await State.SaveTaskAsync(runId, Completed(taskId, T0, 1, T0.AddSeconds(1), new JsonObject { ["n"] = n }));
            }
            else
            {
                await State.SaveTasksAsync(runId, [Completed(taskId, T0, 1, T0.AddSeconds(1), new JsonObject { ["n"] = n })]);
            }
        })).ToList();
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        var readCounts = await Task.WhenAll(readers);

        Assert.That(readCounts, Is.All.GreaterThan(0));
        for (var r = 0; r < runs; r++)
        {
            var run = (await State.GetRunAsync($"run-{r}"))!;
            Assert.That(run.Tasks.Values.Select(t => t.Status), Is.All.EqualTo(WorkflowTaskStatus.Completed), $"run-{r}");
            for (var i = 0; i < tasksPerRun; i++)
            {
                Assert.That((int)run.GetResult($"t{i}")!["n"]!, Is.EqualTo(i * runs + r));
            }
            var events = await History.GetEventsAsync($"run-{r}");
            Assert.That(events.Count(e => e.TaskId is not null), Is.EqualTo(2 * tasksPerRun), $"run-{r}: a running and a completed event per task");
        }
        var stats = await History.GetStatisticsAsync();
        Assert.That(stats.TasksByStatus.GetValueOrDefault(WorkflowTaskStatus.Completed), Is.EqualTo(runs * tasksPerRun));
    }

    [Test]
    public async Task Concurrent_creates_of_one_id_admit_exactly_one()
    {
        var attempts = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                await State.CreateRunAsync(NewRun("contested", $"name-{i}", T0));
                return true;
            }
            catch (GleitzeitException ex) when (ex.Code == GleitzeitErrorCode.WorkflowAlreadyExists)
            {
                return false;
            }
        }));

        var outcomes = await Task.WhenAll(attempts);

        Assert.That(outcomes.Count(o => o), Is.EqualTo(1));
        Assert.That(await History.ListRunsAsync(), Has.Count.EqualTo(1));
        Assert.That(await History.GetEventsAsync("contested"), Has.Count.EqualTo(1));
    }

    // ------------------------------------------------------------------ through the engine

    [Test]
    public async Task A_run_executed_by_the_engine_is_stored_whole()
    {
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());
        await using var engine = new ExecutionEngine(registry, Store);
        var workflow = new Core.Definitions.WorkflowBuilder("stored")
            .AddTask("a", "echo", new JsonObject { ["message"] = "hi" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "${a.response}!" }, t => t.WithProtocol("echo/v1").DependsOn("a"))
            .Build();

        var run = await engine.RunAsync(workflow);
        var stored = await State.GetRunAsync(run.WorkflowId);

        Assert.That(stored!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(stored.Tasks.Keys, Is.EqualTo(new[] { "a", "b" }));
        Assert.That((string?)stored.GetResult("b")!["response"], Is.EqualTo("hi!"));
        Assert.That(stored.Tasks.Values.Select(t => t.Attempts), Is.All.EqualTo(1));
        var statuses = (await History.GetEventsAsync(run.WorkflowId)).Where(e => e.TaskId == "b").Select(e => e.Status);
        Assert.That(statuses, Is.EqualTo(new[] { "queued", "running", "completed" }));
    }

    [Test]
    public async Task The_engine_resumes_a_stored_run_without_rerunning_completed_tasks()
    {
        var calls = new System.Collections.Concurrent.ConcurrentBag<string>();
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("echo/v1", (inv, _) =>
        {
            calls.Add(inv.TaskId);
            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = inv.Parameters["message"]?.DeepClone() });
        }, "echo"));
        var workflow = new Core.Definitions.WorkflowBuilder("resumable")
            .AddTask("a", "echo", new JsonObject { ["message"] = "from a" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "${a.response} then b" }, t => t.WithProtocol("echo/v1").DependsOn("a"))
            .AddTask("c", "echo", new JsonObject { ["message"] = "${b.response} then c" }, t => t.WithProtocol("echo/v1").DependsOn("b"))
            .Build() with { Id = "crashed" };
        // The state a crash leaves behind: a completed, b running, c pending, the run running.
        await State.CreateRunAsync(new WorkflowRun
        {
            WorkflowId = "crashed", Name = workflow.Name, Workflow = workflow, CreatedAt = T0,
            Tasks = workflow.Tasks.ToDictionary(t => t.Id, t => TaskResult.Pending(t.Id)),
        });
        await State.UpdateRunStatusAsync("crashed", WorkflowStatus.Running, T0);
        await State.SaveTasksAsync("crashed", [Completed("a", T0, 1, T0.AddSeconds(1), new JsonObject { ["response"] = "stored a" }), Running("b", T0.AddSeconds(1), 1)]);
        await using var engine = new ExecutionEngine(registry, Store);

        var run = await engine.ResumeAsync("crashed");

        Assert.That(calls, Is.EquivalentTo(new[] { "b", "c" }));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)run.GetResult("c")!["response"], Is.EqualTo("stored a then b then c"));
        var stored = await State.GetRunAsync("crashed");
        Assert.That(stored!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(stored.Tasks["a"].Attempts, Is.EqualTo(1));
        Assert.That(stored.Tasks["b"].Attempts, Is.EqualTo(2), "the interrupted attempt counts");
        Assert.That(stored.StartedAt, Is.EqualTo(T0));
    }

    [Test]
    public async Task The_engine_finishes_a_resumed_run_whose_tasks_all_ended_before_the_crash()
    {
        var calls = 0;
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("echo/v1", (_, _) =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.FromResult<JsonNode?>(null);
        }, "echo"));
        var workflow = new Core.Definitions.WorkflowBuilder("ended")
            .AddTask("a", "echo", new JsonObject { ["message"] = "a" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "b" }, t => t.WithProtocol("echo/v1").DependsOn("a"))
            .AddTask("c", "echo", new JsonObject { ["message"] = "c" }, t => t.WithProtocol("echo/v1"))
            .Build() with { Id = "ended" };
        // Crashed after a's failure was stored but before b was skipped and the run's end was written.
        await State.CreateRunAsync(new WorkflowRun
        {
            WorkflowId = "ended", Name = workflow.Name, Workflow = workflow, CreatedAt = T0,
            Tasks = workflow.Tasks.ToDictionary(t => t.Id, t => TaskResult.Pending(t.Id)),
        });
        await State.UpdateRunStatusAsync("ended", WorkflowStatus.Running, T0);
        await State.SaveTasksAsync("ended", [Failed("a", T0, T0.AddSeconds(1)), Completed("c", T0, 1, T0.AddSeconds(1))]);
        await using var engine = new ExecutionEngine(registry, Store);

        var run = await engine.ResumeAsync("ended");

        Assert.That(calls, Is.Zero);
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        var stored = await State.GetRunAsync("ended");
        Assert.That(stored!.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(stored.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped), "the skip is stored too");
        Assert.That(stored.CompletedAt, Is.Not.Null);
    }

    [Test]
    public async Task Resuming_a_finished_run_returns_it_untouched()
    {
        await CreateFinishedAsync("done", "report", T0, WorkflowStatus.Completed);
        var eventsBefore = (await History.GetEventsAsync("done")).Count;
        await using var engine = new ExecutionEngine(new ProviderRegistry(), Store);

        var run = await engine.ResumeAsync("done");
        var resumedIds = await engine.ResumeUnfinishedAsync();

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(resumedIds, Is.Empty);
        Assert.That((await History.GetEventsAsync("done")).Count, Is.EqualTo(eventsBefore));
    }

    // ------------------------------------------------------------------ interrupted runs

    [Test]
    public async Task An_interrupted_run_round_trips_unfinished_and_is_listed_by_its_status()
    {
        await State.CreateRunAsync(NewRun("stopped", "report", T0));
        await State.UpdateRunStatusAsync("stopped", WorkflowStatus.Running, T0.AddSeconds(1));
        await State.UpdateRunStatusAsync("stopped", WorkflowStatus.Interrupted, T0.AddSeconds(2));

        var stored = await State.GetRunAsync("stopped");
        var listed = await History.ListRunsAsync(new RunQuery { Statuses = [WorkflowStatus.Interrupted] });
        var statistics = await History.GetStatisticsAsync();

        Assert.That(stored!.Status, Is.EqualTo(WorkflowStatus.Interrupted));
        Assert.That(stored.IsFinished, Is.False);
        Assert.That(stored.StartedAt, Is.EqualTo(T0.AddSeconds(1)));
        Assert.That(stored.CompletedAt, Is.Null, "an interrupted run has not ended");
        Assert.That(listed.Select(r => r.WorkflowId), Is.EqualTo(new[] { "stopped" }));
        Assert.That(statistics.RunsByStatus.GetValueOrDefault(WorkflowStatus.Interrupted), Is.EqualTo(1));
        Assert.That((await History.GetEventsAsync("stopped")).Last().Status, Is.EqualTo("interrupted"));
    }

    [Test]
    public async Task Disposing_the_engine_leaves_the_run_interrupted_and_ResumeAsync_completes_it()
    {
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var block = true;
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("echo/v1", async (inv, ct) =>
        {
            calls.Enqueue(inv.TaskId);
            if (inv.TaskId == "b" && Volatile.Read(ref block))
            {
                blocked.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }
            return new JsonObject { ["response"] = inv.Parameters["message"]?.DeepClone() };
        }, "echo"));
        var workflow = new Core.Definitions.WorkflowBuilder("stoppable")
            .AddTask("a", "echo", new JsonObject { ["message"] = "a" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "${a.response} b" }, t => t.WithProtocol("echo/v1").DependsOn("a"))
            .AddTask("c", "echo", new JsonObject { ["message"] = "${b.response} c" }, t => t.WithProtocol("echo/v1").DependsOn("b"))
            .Build();

        var first = new ExecutionEngine(registry, Store);
        var running = first.RunAsync(workflow);
        await blocked.Task;
        await first.DisposeAsync();
        var interrupted = await running;

        Assert.That(interrupted.Status, Is.EqualTo(WorkflowStatus.Interrupted), "stopping is not cancelling");
        var stored = await State.GetRunAsync(interrupted.WorkflowId);
        Assert.That(stored!.Status, Is.EqualTo(WorkflowStatus.Interrupted));
        Assert.That(stored.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(stored.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Pending), "the task cut short is pending again");
        Assert.That(stored.Tasks["b"].Attempts, Is.Zero, "the attempt cut short does not count");
        Assert.That(stored.Tasks["c"].Status, Is.EqualTo(WorkflowTaskStatus.Pending));
        Assert.That(await State.GetLeaseAsync(interrupted.WorkflowId), Is.Null, "the lease is released when the run is interrupted");

        Volatile.Write(ref block, false);
        await using var second = new ExecutionEngine(registry, Store);
        var resumed = await second.ResumeAsync(interrupted.WorkflowId);

        Assert.That(resumed.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)resumed.GetResult("c")!["response"], Is.EqualTo("a b c"));
        Assert.That(calls, Is.EqualTo(new[] { "a", "b", "b", "c" }), "a is not run again");
        Assert.That((await State.GetRunAsync(interrupted.WorkflowId))!.Tasks["b"].Attempts, Is.EqualTo(1));
    }

    [Test]
    public async Task ResumeUnfinishedAsync_resumes_interrupted_runs()
    {
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());
        var workflow = new Core.Definitions.WorkflowBuilder("later")
            .AddTask("a", "echo", new JsonObject { ["message"] = "hi" }, t => t.WithProtocol("echo/v1"))
            .Build() with { Id = "later-1" };
        await State.CreateRunAsync(new WorkflowRun
        {
            WorkflowId = "later-1", Name = workflow.Name, Workflow = workflow, CreatedAt = T0,
            Tasks = workflow.Tasks.ToDictionary(t => t.Id, t => TaskResult.Pending(t.Id)),
        });
        await State.UpdateRunStatusAsync("later-1", WorkflowStatus.Running, T0);
        await State.UpdateRunStatusAsync("later-1", WorkflowStatus.Interrupted, T0.AddSeconds(1));
        await using var engine = new ExecutionEngine(registry, Store);

        var ids = await engine.ResumeUnfinishedAsync();
        var run = await engine.WaitAsync("later-1");

        Assert.That(ids, Is.EqualTo(new[] { "later-1" }));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
    }

    // ------------------------------------------------------------------ answers to waiting tasks

    private static TaskResult Waiting(string taskId) => new()
    {
        TaskId = taskId, Status = WorkflowTaskStatus.Waiting, Attempts = 1, StartedAt = T0,
        Result = new JsonObject { ["awaiting"] = "approval", ["method"] = "human/approval", ["prompt"] = "Send it?" },
    };

    private static TaskResult Answered(string taskId, string by) => Waiting(taskId) with
    {
        Status = WorkflowTaskStatus.Completed, CompletedAt = T0.AddMinutes(1),
        Result = new JsonObject { ["approved"] = true, ["by"] = by, ["comment"] = null, ["decided_at"] = "2026-01-01T00:01:00Z" },
    };

    [Test]
    public async Task An_answer_is_recorded_only_while_the_task_is_stored_waiting()
    {
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));
        await State.SaveTaskAsync("wf-1", Waiting("fetch"));

        Assert.That(await State.TrySaveAnswerAsync("wf-1", Answered("fetch", "ann")), Is.True);
        Assert.That(await State.TrySaveAnswerAsync("wf-1", Answered("fetch", "bob")), Is.False, "the task is no longer waiting");
        Assert.That(await State.TrySaveAnswerAsync("wf-1", Answered("parse", "bob")), Is.False, "a task that never waited");

        var stored = (await State.GetRunAsync("wf-1"))!.Tasks["fetch"];
        Assert.That(stored.Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That((string?)stored.Result!["by"], Is.EqualTo("ann"));
        var events = await History.GetEventsAsync("wf-1");
        Assert.That(events.Count(e => e.TaskId == "fetch" && e.Status == "completed"), Is.EqualTo(1), "the refused answer left no trace");
        var missing = await CatchAsync(() => State.TrySaveAnswerAsync("wf-none", Answered("fetch", "ann")).AsTask());
        Assert.That(missing.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
    }

    [Test]
    public async Task Of_answers_racing_for_one_waiting_task_exactly_one_is_recorded()
    {
        const int People = 12;
        await State.CreateRunAsync(NewRun("wf-1", "report", T0));
        await State.SaveTaskAsync("wf-1", Waiting("fetch"));
        using var start = new ManualResetEventSlim();
        var answers = Enumerable.Range(0, People).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return (By: $"p{i}", Recorded: await State.TrySaveAnswerAsync("wf-1", Answered("fetch", $"p{i}")));
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(answers);

        var winners = results.Where(r => r.Recorded).ToList();
        Assert.That(winners, Has.Count.EqualTo(1));
        Assert.That((string?)(await State.GetRunAsync("wf-1"))!.Tasks["fetch"].Result!["by"], Is.EqualTo(winners[0].By));
    }

    // ------------------------------------------------------------------ leases

    private static RunLease Lease(string owner, DateTimeOffset expiresAt, string host = "host-a", int pid = 4242) => new(owner, host, pid, expiresAt);

    [Test]
    public async Task Two_owners_racing_for_a_free_lease_exactly_one_wins()
    {
        const int Owners = 16;
        using var start = new ManualResetEventSlim();
        var attempts = Enumerable.Range(0, Owners).Select(i => Task.Run(async () =>
        {
            start.Wait();
            var mine = Lease($"owner-{i}", T0.AddSeconds(30), pid: 1000 + i);
            return (Mine: mine, InForce: await State.AcquireLeaseAsync("raced", mine, T0));
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(attempts);

        var winners = results.Where(r => r.InForce.Owner == r.Mine.Owner).ToList();
        Assert.That(winners, Has.Count.EqualTo(1), "exactly one owner gets a free lease");
        Assert.That(results.Select(r => r.InForce.Owner).Distinct(), Is.EqualTo(new[] { winners[0].Mine.Owner }), "every loser is told who holds it");
        Assert.That(await State.GetLeaseAsync("raced"), Is.EqualTo(winners[0].Mine));
    }

    [Test]
    public async Task A_live_lease_is_kept_renewals_extend_it_and_an_expired_one_is_taken_over()
    {
        var a = Lease("a", T0.AddSeconds(30));
        Assert.That(await State.AcquireLeaseAsync("run", a, T0), Is.EqualTo(a));

        var refused = await State.AcquireLeaseAsync("run", Lease("b", T0.AddSeconds(40), "host-b", 7), T0.AddSeconds(10));
        Assert.That(refused, Is.EqualTo(a), "a live lease is not taken over; the holder is named");

        var renewed = Lease("a", T0.AddSeconds(50));
        Assert.That(await State.AcquireLeaseAsync("run", renewed, T0.AddSeconds(20)), Is.EqualTo(renewed), "the owner renews its own lease");
        Assert.That(await State.AcquireLeaseAsync("run", Lease("b", T0.AddSeconds(70)), T0.AddSeconds(40)), Is.EqualTo(renewed), "the renewal counts");

        var b = Lease("b", T0.AddSeconds(80), "host-b", 7);
        Assert.That(await State.AcquireLeaseAsync("run", b, T0.AddSeconds(50)), Is.EqualTo(b), "an expired lease may be taken over");
        Assert.That(await State.AcquireLeaseAsync("run", Lease("a", T0.AddSeconds(90)), T0.AddSeconds(60)), Is.EqualTo(b),
            "the old owner's late renewal is refused: it learns it lost the run");
        Assert.That(await State.GetLeaseAsync("run"), Is.EqualTo(b));
    }

    [Test]
    public async Task A_lease_is_taken_over_from_a_named_dead_owner_and_released_only_by_its_owner()
    {
        var a = Lease("a", T0.AddSeconds(30));
        await State.AcquireLeaseAsync("run", a, T0);
        var b = Lease("b", T0.AddSeconds(40));

        Assert.That(await State.AcquireLeaseAsync("run", b, T0.AddSeconds(1), takeOverFrom: "someone-else"), Is.EqualTo(a));
        Assert.That(await State.AcquireLeaseAsync("run", b, T0.AddSeconds(1), takeOverFrom: "a"), Is.EqualTo(b));

        await State.ReleaseLeaseAsync("run", "a");
        Assert.That(await State.GetLeaseAsync("run"), Is.EqualTo(b), "another owner's release does not remove the lease");
        await State.ReleaseLeaseAsync("run", "b");
        Assert.That(await State.GetLeaseAsync("run"), Is.Null);
        Assert.That(await State.GetLeaseAsync("never-leased"), Is.Null);
    }

    [Test]
    public async Task The_engine_refuses_to_resume_a_run_another_live_owner_holds_naming_it_and_resumes_once_the_lease_expired()
    {
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());
        var workflow = new Core.Definitions.WorkflowBuilder("owned")
            .AddTask("a", "echo", new JsonObject { ["message"] = "hi" }, t => t.WithProtocol("echo/v1"))
            .Build() with { Id = "owned-1" };
        await State.CreateRunAsync(new WorkflowRun
        {
            WorkflowId = "owned-1", Name = workflow.Name, Workflow = workflow, CreatedAt = T0,
            Tasks = workflow.Tasks.ToDictionary(t => t.Id, t => TaskResult.Pending(t.Id)),
        });
        await State.UpdateRunStatusAsync("owned-1", WorkflowStatus.Running, T0);
        var now = DateTimeOffset.UtcNow;
        await State.AcquireLeaseAsync("owned-1", Lease("elsewhere", now.AddHours(1), "build-box-7", 31337), now);
        await using var engine = new ExecutionEngine(registry, Store);

        var ex = await CatchAsync(() => engine.ResumeAsync("owned-1"));
        var unfinished = await engine.ResumeUnfinishedAsync();

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowLeased));
        Assert.That(ex.Message, Does.Contain("build-box-7").And.Contain("31337"));
        Assert.That(unfinished, Is.Empty, "ResumeUnfinishedAsync leaves runs of live owners alone");
        Assert.That((await State.GetRunAsync("owned-1"))!.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Pending), "nothing ran");

        // The owner stopped renewing: once its lease expired the run may be continued here.
        await State.AcquireLeaseAsync("owned-1", Lease("elsewhere", now.AddMinutes(-1), "build-box-7", 31337), now.AddMinutes(-2));
        var run = await engine.ResumeAsync("owned-1");

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(await State.GetLeaseAsync("owned-1"), Is.Null, "released when the run ended");
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>A pending run of a three-task workflow (fetch, parse, summarize) with inputs, retries and timeouts.</summary>
    protected static WorkflowRun NewRun(string id, string name, DateTimeOffset createdAt)
    {
        var workflow = new Workflow
        {
            Id = id,
            Name = name,
            Description = "fetch, parse and summarize",
            Version = "2",
            Timeout = TimeSpan.FromMinutes(5),
            MaxConcurrency = 2,
            BaseDirectory = "/data/flows",
            Inputs = new Dictionary<string, JsonNode?> { ["topic"] = "tides", ["limit"] = 3, ["tags"] = new JsonArray("a", "b"), ["none"] = null },
            Tasks =
            [
                new WorkflowTask { Id = "fetch", Name = "Fetch it", Protocol = "echo/v1", Method = "echo", Parameters = new JsonObject { ["message"] = "${inputs.topic}" }, Priority = TaskPriority.High, Timeout = TimeSpan.FromSeconds(30) },
                new WorkflowTask
                {
                    Id = "parse", Protocol = "python/v1", Method = "python/execute", Parameters = new JsonObject { ["code"] = "result = 1", ["context"] = new JsonObject { ["x"] = "${fetch.response}" } },
                    Dependencies = ["fetch"], Retry = new RetryPolicy { MaxAttempts = 4, InitialDelay = TimeSpan.FromMilliseconds(250), BackoffFactor = 3, MaxDelay = TimeSpan.FromSeconds(10), Jitter = false },
                },
                new WorkflowTask { Id = "summarize", Protocol = "llm/v1", Method = "llm/chat", Parameters = new JsonObject { ["model"] = "llama3.2", ["prompt"] = "Sum up ${parse.result}" }, Dependencies = ["fetch", "parse"], Provider = "local" },
            ],
        };
        return new WorkflowRun
        {
            WorkflowId = id,
            Name = name,
            Status = WorkflowStatus.Pending,
            Workflow = workflow,
            Inputs = new Dictionary<string, JsonNode?> { ["topic"] = "oceans", ["limit"] = 3, ["tags"] = new JsonArray("a", "b"), ["none"] = null },
            CreatedAt = createdAt,
            Tasks = workflow.Tasks.ToDictionary(t => t.Id, t => TaskResult.Pending(t.Id)),
        };
    }

    /// <summary>Creates a run that started at <paramref name="createdAt"/> and finished <paramref name="runSeconds"/> later.</summary>
    protected async Task CreateFinishedAsync(string id, string name, DateTimeOffset createdAt, WorkflowStatus status, int runSeconds = 1)
    {
        await State.CreateRunAsync(NewRun(id, name, createdAt));
        await State.UpdateRunStatusAsync(id, WorkflowStatus.Running, createdAt);
        await State.UpdateRunStatusAsync(id, status, createdAt.AddSeconds(runSeconds));
    }

    protected static TaskResult Queued(string id) => new() { TaskId = id, Status = WorkflowTaskStatus.Queued };

    protected static TaskResult Running(string id, DateTimeOffset startedAt, int attempt) =>
        new() { TaskId = id, Status = WorkflowTaskStatus.Running, Attempts = attempt, StartedAt = startedAt };

    protected static TaskResult Completed(string id, DateTimeOffset startedAt, int attempts, DateTimeOffset? completedAt = null, JsonNode? result = null) =>
        new() { TaskId = id, Status = WorkflowTaskStatus.Completed, Attempts = attempts, StartedAt = startedAt, CompletedAt = completedAt ?? startedAt, Result = result ?? new JsonObject { ["ok"] = true } };

    protected static TaskResult Failed(string id, DateTimeOffset startedAt, DateTimeOffset completedAt) => new()
    {
        TaskId = id, Status = WorkflowTaskStatus.Failed, Attempts = 1, StartedAt = startedAt, CompletedAt = completedAt,
        Error = new GleitzeitError(GleitzeitErrorCode.TaskExecutionFailed, "boom"),
    };

    protected static TaskResult Skipped(string id, DateTimeOffset at) => new()
    {
        TaskId = id, Status = WorkflowTaskStatus.Skipped, CompletedAt = at,
        Error = new GleitzeitError(GleitzeitErrorCode.TaskDependencyFailed, "dependency failed"),
    };

    protected static void AssertJsonEqual(JsonNode? actual, JsonNode? expected) =>
        Assert.That(JsonNode.DeepEquals(actual, expected), Is.True, $"expected {expected?.ToJsonString() ?? "null"}, got {actual?.ToJsonString() ?? "null"}");

    protected static async Task<GleitzeitException> CatchAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (GleitzeitException ex)
        {
            return ex;
        }
        Assert.Fail("expected a GleitzeitException");
        throw new InvalidOperationException("unreachable");
    }
}
