using System.Collections.Concurrent;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Microsoft.Data.Sqlite;

namespace Gleitzeit.Persistence.Sqlite.Tests.Resume;

/// <summary>A process killed in the middle of a loop: the resumed run continues at the iteration it was in, keeping the history.</summary>
[NonParallelizable]
public sealed class LoopCrashResumeTests
{
    private TempDirectory _dir = null!;
    private string _db = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _db = _dir.File("loop-crash.db");
    }

    [TearDown]
    public void TearDown()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Test]
    public async Task A_run_killed_in_the_second_iteration_resumes_there_without_repeating_the_first()
    {
        int childPid;
        using (var child = ChildProcess.Start(_db, _dir.Path, "loop-1", LoopCrashChild.Flag))
        {
            childPid = child.Id;
            await child.WaitForAsync("started refine 1");
            child.Release("refine#1");
            // Iteration 2 starts only after iteration 1 and the history holding it are stored.
            await child.WaitForAsync("started refine 2");
            child.Kill();
        }

        await using var store = new SqliteWorkflowStore(_db);
        var crashed = (await store.GetRunAsync("loop-1"))!;
        Assert.That(crashed.Status, Is.EqualTo(WorkflowStatus.Running));
        Assert.That(crashed.Tasks["refine"].Status, Is.EqualTo(WorkflowTaskStatus.Running));
        Assert.That(crashed.Tasks["refine"].Iteration, Is.EqualTo(2));
        Assert.That(crashed.Tasks["refine"].History.Select(h => (int)h.Result!["value"]!), Is.EqualTo(new[] { 1 }));

        var seen = new ConcurrentQueue<int>();
        var registry = new ProviderRegistry();
        registry.Register(LoopCrashChild.Provider((iteration, _) =>
        {
            seen.Enqueue(iteration);
            return Task.CompletedTask;
        }));
        await using var engine = new ExecutionEngine(registry, store);
        var resumed = await engine.ResumeAsync("loop-1");

        Assert.That(resumed.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(seen, Is.EqualTo(new[] { 2, 3 }), "iteration 1 is not run again; iteration 2, cut short, is");
        var refine = resumed.Tasks["refine"];
        Assert.That(refine.History.Select(h => (int)h.Result!["value"]!), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(refine.History.Select(h => (int?)h.Result!["previous"]), Is.EqualTo(new int?[] { null, 1, 2 }));
        Assert.That((int)refine.History[0].Result!["pid"]!, Is.EqualTo(childPid));
        Assert.That((int)refine.History[1].Result!["pid"]!, Is.EqualTo(Environment.ProcessId));
        var stored = (await store.GetRunAsync("loop-1"))!.Tasks["refine"];
        Assert.That(stored.Iteration, Is.EqualTo(3));
        Assert.That(stored.History, Has.Count.EqualTo(3));
    }
}
