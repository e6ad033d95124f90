using Gleitzeit.Core;
using Gleitzeit.Persistence.Sqlite.Writing;
using Microsoft.Data.Sqlite;

namespace Gleitzeit.Persistence.Sqlite.Tests;

/// <summary>Writes queued while the writer is busy are committed together, and no caller hears back before its commit.</summary>
public sealed class GroupCommitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private TempDirectory _dir = null!;
    private SqliteWorkflowStore _store = null!;

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory();
        _store = new SqliteWorkflowStore(_dir.File("g.db"));
        await _store.CreateRunAsync(new WorkflowRun { WorkflowId = "r", Name = "n", CreatedAt = T0 });
    }

    [TearDown]
    public async Task TearDown()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Test]
    public async Task Writes_queued_behind_a_busy_writer_share_one_commit_and_complete_after_it()
    {
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource();
        var held = _store.Writer.EnqueueAsync(new CallbackOp(() =>
        {
            entered.SetResult();
            gate.Wait();
        }));
        await entered.Task;
        var commitsBefore = _store.Writer.Commits;

        var writes = Enumerable.Range(0, 200)
            .Select(i => _store.SaveTaskAsync("r", new TaskResult { TaskId = $"t{i}", Status = WorkflowTaskStatus.Completed, Attempts = 1 }).AsTask())
            .ToList();
        var completedWhileHeld = writes.Count(w => w.IsCompleted);
        var visibleWhileHeld = (await _store.GetRunAsync("r"))!.Tasks.Count;
        gate.Set();
        await held;
        await Task.WhenAll(writes);

        Assert.That(completedWhileHeld, Is.Zero, "no write completes before its commit");
        Assert.That(visibleWhileHeld, Is.Zero, "nothing is visible before the commit");
        Assert.That(_store.Writer.Commits - commitsBefore, Is.EqualTo(2), "the held batch, then all 200 writes in one transaction");
        Assert.That((await _store.GetRunAsync("r"))!.Tasks, Has.Count.EqualTo(200));
    }

    [Test]
    public async Task A_write_to_an_idle_writer_is_committed_by_its_caller_before_the_call_returns()
    {
        var commitsBefore = _store.Writer.Commits;

        var write = _store.SaveTaskAsync("r", new TaskResult { TaskId = "alone", Status = WorkflowTaskStatus.Completed, Attempts = 1 });

        Assert.That(write.IsCompletedSuccessfully, "a lone write is committed on its caller's thread: no hand-off to the writer thread");
        Assert.That(_store.Writer.Commits - commitsBefore, Is.EqualTo(1));
        Assert.That((await _store.GetRunAsync("r"))!.Tasks["alone"].Status, Is.EqualTo(WorkflowTaskStatus.Completed), "committed, so visible to a reader");
        await write;
    }

    [Test]
    public async Task A_write_queued_while_a_caller_commits_hands_committing_to_the_writer_thread_until_writes_come_alone_again()
    {
        Task? queuedMeanwhile = null;
        // Committed by this caller (the writer is idle); while it holds the turn, another thread's write queues up.
        await _store.Writer.EnqueueAsync(new SqlOp(_ =>
        {
            var other = new Thread(() => queuedMeanwhile = _store.SaveTaskAsync("r", new TaskResult { TaskId = "meanwhile", Status = WorkflowTaskStatus.Completed }).AsTask());
            other.Start();
            other.Join();
            return 0;
        }));
        Assert.That(_store.Writer.CallerCommits, Is.False, "concurrent writers: the writer thread batches");
        await queuedMeanwhile!;

        // The write queued meanwhile was the writer thread's first lone commit; these are the rest.
        for (var i = 0; i < SqliteWriter.LoneCommitsToInline - 1; i++)
        {
            Assert.That(_store.Writer.CallerCommits, Is.False, $"still batching after {i + 1} lone commits");
            await _store.SaveTaskAsync("r", new TaskResult { TaskId = $"t{i}", Status = WorkflowTaskStatus.Completed });
        }

        Assert.That(_store.Writer.CallerCommits, Is.True, "writes came alone again: callers commit themselves");
        var run = await _store.GetRunAsync("r");
        Assert.That(run!.Tasks, Contains.Key("meanwhile"));
        Assert.That(run.Tasks, Has.Count.EqualTo(SqliteWriter.LoneCommitsToInline));
    }

    [Test]
    public async Task Writes_queued_behind_a_busy_writer_commit_in_the_order_they_were_queued()
    {
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource();
        var held = _store.Writer.EnqueueAsync(new CallbackOp(() =>
        {
            entered.SetResult();
            gate.Wait();
        }));
        await entered.Task;

        // The same task three times: only FIFO order leaves the last state stored.
        var writes = new[] { WorkflowTaskStatus.Queued, WorkflowTaskStatus.Running, WorkflowTaskStatus.Completed }
            .Select(status => _store.SaveTaskAsync("r", new TaskResult { TaskId = "t", Status = status, Attempts = 1 }).AsTask())
            .ToList();
        gate.Set();
        await held;
        await Task.WhenAll(writes);

        Assert.That((await _store.GetRunAsync("r"))!.Tasks["t"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        var events = (await _store.GetEventsAsync("r")).Where(e => e.TaskId == "t").Select(e => e.Status).ToList();
        Assert.That(events, Is.EqualTo(new[] { "queued", "running", "completed" }));
    }

    [Test]
    public async Task A_task_written_twice_in_one_write_keeps_its_later_state_and_both_events()
    {
        // The engine's direct start: the completion, then the dependent queued and running, in one write.
        await _store.SaveTasksAsync("r",
        [
            new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Completed, Attempts = 1, CompletedAt = T0 },
            new TaskResult { TaskId = "b", Status = WorkflowTaskStatus.Queued },
            new TaskResult { TaskId = "b", Status = WorkflowTaskStatus.Running, Attempts = 1, StartedAt = T0 },
        ]);

        var run = (await _store.GetRunAsync("r"))!;
        Assert.That(run.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Running));
        Assert.That(run.Tasks["b"].Attempts, Is.EqualTo(1));
        Assert.That(run.Tasks["b"].StartedAt, Is.EqualTo(T0));
        var events = (await _store.GetEventsAsync("r")).Where(e => e.TaskId is not null).Select(e => $"{e.TaskId}:{e.Status}").ToList();
        Assert.That(events, Is.EqualTo(new[] { "a:completed", "b:queued", "b:running" }));
    }

    [Test]
    public async Task The_events_of_one_write_are_stored_in_its_order_however_many_there_are()
    {
        // Events go in a few to a statement (SqliteStatements.MaxEventsPerInsert): nine cross two statement boundaries.
        var tasks = Enumerable.Range(0, 2 * SqliteStatements.MaxEventsPerInsert + 1)
            .Select(i => new TaskResult { TaskId = $"t{i}", Status = i % 2 == 0 ? WorkflowTaskStatus.Queued : WorkflowTaskStatus.Completed, Attempts = i })
            .ToList();

        await _store.SaveTasksAsync("r", tasks);

        var events = (await _store.GetEventsAsync("r")).Where(e => e.TaskId is not null).ToList();
        Assert.That(events.Select(e => e.TaskId), Is.EqualTo(tasks.Select(t => t.TaskId)));
        Assert.That(events.Select(e => e.Status), Is.EqualTo(tasks.Select(t => t.Status == WorkflowTaskStatus.Queued ? "queued" : "completed")));
        Assert.That(events.Select(e => e.Attempt), Is.EqualTo(tasks.Select(t => t.Attempts)));
    }

    [Test]
    public async Task A_task_written_twice_to_an_unknown_run_is_refused_with_nothing_stored()
    {
        var error = await Assert.CatchAsync<GleitzeitException>(async () => await _store.SaveTasksAsync("missing",
        [
            new TaskResult { TaskId = "b", Status = WorkflowTaskStatus.Queued },
            new TaskResult { TaskId = "b", Status = WorkflowTaskStatus.Running, Attempts = 1 },
        ]));

        Assert.That(error!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
        Assert.That(await _store.GetEventsAsync("missing"), Is.Empty, "no event stored for a run that does not exist");
    }

    [Test]
    public async Task A_refused_write_fails_alone_and_the_rest_of_its_batch_commits()
    {
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource();
        var held = _store.Writer.EnqueueAsync(new CallbackOp(() =>
        {
            entered.SetResult();
            gate.Wait();
        }));
        await entered.Task;

        var before = _store.SaveTaskAsync("r", new TaskResult { TaskId = "before", Status = WorkflowTaskStatus.Completed }).AsTask();
        var duplicate = _store.CreateRunAsync(new WorkflowRun { WorkflowId = "r", Name = "again", CreatedAt = T0 }).AsTask();
        var unknown = _store.SaveTaskAsync("missing", new TaskResult { TaskId = "x", Status = WorkflowTaskStatus.Completed }).AsTask();
        var after = _store.SaveTaskAsync("r", new TaskResult { TaskId = "after", Status = WorkflowTaskStatus.Completed }).AsTask();
        gate.Set();
        await held;

        await Task.WhenAll(before, after);
        var duplicateError = await Assert.CatchAsync<GleitzeitException>(async () => await duplicate);
        var unknownError = await Assert.CatchAsync<GleitzeitException>(async () => await unknown);
        Assert.That(duplicateError!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowAlreadyExists));
        Assert.That(unknownError!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
        var run = await _store.GetRunAsync("r");
        Assert.That(run!.Name, Is.EqualTo("n"));
        Assert.That(run.Tasks.Keys, Is.EquivalentTo(new[] { "before", "after" }));
    }

    [Test]
    public async Task Dispose_commits_the_writes_still_queued()
    {
        var path = _store.DatabasePath;
        var writes = Enumerable.Range(0, 100)
            .Select(i => _store.SaveTaskAsync("r", new TaskResult { TaskId = $"t{i}", Status = WorkflowTaskStatus.Queued }).AsTask())
            .ToList();

        await _store.DisposeAsync();

        Assert.That(writes.All(w => w.IsCompletedSuccessfully));
        await using var reopened = new SqliteWorkflowStore(path);
        Assert.That((await reopened.GetRunAsync("r"))!.Tasks, Has.Count.EqualTo(100));
    }
}
