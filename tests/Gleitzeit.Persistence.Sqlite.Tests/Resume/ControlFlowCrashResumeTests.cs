using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Microsoft.Data.Sqlite;

namespace Gleitzeit.Persistence.Sqlite.Tests.Resume;

/// <summary>
/// A child process runs a foreach or a sub-workflow against a SQLite file and is killed in the middle; this process
/// resumes the run. The foreach is not expanded again and its completed items do not run again; the sub-workflow's
/// child run is continued (not started again) and its completed tasks do not run again.
/// </summary>
[NonParallelizable]
public sealed class ControlFlowCrashResumeTests
{
    private TempDirectory _dir = null!;
    private string _db = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _db = _dir.File("crash.db");
    }

    [TearDown]
    public void TearDown()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Test]
    public async Task A_run_killed_in_the_middle_of_a_foreach_resumes_without_expanding_again_or_rerunning_completed_items()
    {
        int childPid;
        using (var child = ChildProcess.StartWith(ControlFlowCrashChild.Flag, ControlFlowCrashWorkflows.ForEach, _db, _dir.Path, "run-1"))
        {
            childPid = child.Id;
            await child.WaitForAsync("started plan");
            child.Release("plan");
            await child.WaitForAsync("started each[0]");
            child.Release("each[0]");
            await child.WaitForAsync("started each[1]");
            child.Release("each[1]");
            await child.WaitForAsync("started each[2]");
            child.Kill();
        }

        await using var store = new SqliteWorkflowStore(_db);
        var crashed = await store.GetRunAsync("run-1");
        Assert.That(crashed!.Status, Is.EqualTo(WorkflowStatus.Running));
        Assert.That(crashed.Tasks["each"].Status, Is.EqualTo(WorkflowTaskStatus.Running));
        Assert.That(crashed.Tasks["each[0]"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(crashed.Tasks["each[1]"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(crashed.Tasks["each[2]"].Status, Is.EqualTo(WorkflowTaskStatus.Running));
        Assert.That(crashed.Tasks["each[3]"].Status, Is.EqualTo(WorkflowTaskStatus.Queued), "the expansion was stored whole before any item ran");

        await using var engine = new ExecutionEngine(ControlFlowCrashWorkflows.Registry(_dir.Path, (_, _) => Task.CompletedTask), store);
        var resumed = await engine.ResumeAsync("run-1");

        var me = Environment.ProcessId;
        Assert.That(resumed.Status, Is.EqualTo(WorkflowStatus.Completed), resumed.Error?.Message);
        Assert.That(CrashWorkflow.Executions(_dir.Path, "plan"), Is.EqualTo(new[] { childPid }), "plan is not run again");
        Assert.That(CrashWorkflow.Executions(_dir.Path, "each[0]"), Is.EqualTo(new[] { childPid }));
        Assert.That(CrashWorkflow.Executions(_dir.Path, "each[1]"), Is.EqualTo(new[] { childPid }));
        Assert.That(CrashWorkflow.Executions(_dir.Path, "each[2]"), Is.EqualTo(new[] { childPid, me }), "the item running at the kill runs again");
        Assert.That(CrashWorkflow.Executions(_dir.Path, "each[3]"), Is.EqualTo(new[] { me }));
        Assert.That(CrashWorkflow.Executions(_dir.Path, "after"), Is.EqualTo(new[] { me }));
        Assert.That(resumed.Tasks.Keys.Count(k => k.StartsWith("each[", StringComparison.Ordinal)), Is.EqualTo(4));
        var results = resumed.GetResult("each")!["results"]!.AsArray();
        Assert.That(results.Select(r => (string?)r!["value"]), Is.EqualTo(new[] { "w0", "x1", "y2", "z3" }));
        Assert.That(results.Select(r => (int)r!["pid"]!), Is.EqualTo(new[] { childPid, childPid, me, me }), "completed items keep the child's results");
    }

    [Test]
    public async Task A_run_killed_inside_a_sub_workflow_resumes_the_same_child_run_without_rerunning_its_completed_tasks()
    {
        int childPid;
        using (var child = ChildProcess.StartWith(ControlFlowCrashChild.Flag, ControlFlowCrashWorkflows.SubWorkflow, _db, _dir.Path, "run-2"))
        {
            childPid = child.Id;
            await child.WaitForAsync("started first");
            child.Release("first");
            await child.WaitForAsync("started second");
            child.Kill();
        }

        await using var store = new SqliteWorkflowStore(_db);
        var crashedChild = await store.GetRunAsync("run-2.sub");
        Assert.That(crashedChild!.ParentId, Is.EqualTo("run-2"));
        Assert.That(crashedChild.Status, Is.EqualTo(WorkflowStatus.Running));
        Assert.That(crashedChild.Tasks["first"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));

        await using var engine = new ExecutionEngine(ControlFlowCrashWorkflows.Registry(_dir.Path, (_, _) => Task.CompletedTask), store);
        var resumed = await engine.ResumeAsync("run-2");

        var me = Environment.ProcessId;
        Assert.That(resumed.Status, Is.EqualTo(WorkflowStatus.Completed), resumed.Error?.Message);
        Assert.That((string?)resumed.GetResult("sub")!["workflow_id"], Is.EqualTo("run-2.sub"), "the same child run, not a second one");
        Assert.That(CrashWorkflow.Executions(_dir.Path, "first"), Is.EqualTo(new[] { childPid }), "the child's completed task is not run again");
        Assert.That(CrashWorkflow.Executions(_dir.Path, "second"), Is.EqualTo(new[] { childPid, me }));
        Assert.That(CrashWorkflow.Executions(_dir.Path, "after"), Is.EqualTo(new[] { me }));
        var finishedChild = await store.GetRunAsync("run-2.sub");
        Assert.That(finishedChild!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)finishedChild.GetResult("second")!["value"], Is.EqualTo("one+two"));
        Assert.That(await store.ListRunsAsync(), Has.Count.EqualTo(2), "one parent, one child");
    }
}
