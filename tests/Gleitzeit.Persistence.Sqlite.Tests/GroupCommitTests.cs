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
