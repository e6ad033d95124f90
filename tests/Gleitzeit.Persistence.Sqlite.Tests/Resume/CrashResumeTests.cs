using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Persistence.Sqlite.Tests.Resume;

/// <summary>
/// A child process runs <see cref="CrashWorkflow"/> against a SQLite file and is killed at a chosen point; this process
/// then resumes the run from the file. Every task that completed before the kill must not run again; the task that was
/// running at the kill runs again (at-least-once); the run ends as if it had never stopped.
/// </summary>
[NonParallelizable]
public sealed class CrashResumeTests
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

    public enum KillPoint
    {
        BeforeTheFirstTaskEnds,
        MidWay,
        WhileTheLastTaskRuns,
    }

    [TestCase(KillPoint.BeforeTheFirstTaskEnds, new string[0], "a")]
    [TestCase(KillPoint.MidWay, new[] { "a", "b" }, "c")]
    [TestCase(KillPoint.WhileTheLastTaskRuns, new[] { "a", "b", "c", "d" }, "e")]
    public async Task A_killed_run_resumes_without_rerunning_completed_tasks(KillPoint point, string[] completedBeforeKill, string runningAtKill)
    {
        int childPid;
        using (var child = ChildProcess.Start(_db, _dir.Path, "run-1"))
        {
            childPid = child.Id;
            await DriveToAsync(child, point);
            child.Kill();
        }

        await using (var store = new SqliteWorkflowStore(_db))
        {
            var crashed = await store.GetRunAsync("run-1");
            Assert.That(crashed!.Status, Is.EqualTo(WorkflowStatus.Running), "the killed run is left running");
            foreach (var id in completedBeforeKill) Assert.That(crashed.Tasks[id].Status, Is.EqualTo(WorkflowTaskStatus.Completed), id);
            Assert.That(crashed.Tasks[runningAtKill].Status, Is.EqualTo(WorkflowTaskStatus.Running), runningAtKill);

            await using var engine = new ExecutionEngine(ResumeRegistry(), store);
            var resumed = await engine.ResumeAsync("run-1");

            AssertFinishedExactly(resumed, childPid, completedBeforeKill, runningAtKill);
        }
        await using var reopened = new SqliteWorkflowStore(_db);
        var stored = await reopened.GetRunAsync("run-1");
        Assert.That(stored!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)stored.GetResult("e")!["value"], Is.EqualTo(CrashWorkflow.FinalValue));
        Assert.That(stored.Tasks[runningAtKill].Attempts, Is.EqualTo(2), "the interrupted attempt counts");
    }

    [Test]
    public async Task The_host_resumes_unfinished_runs_at_start_when_asked()
    {
        int childPid;
        using (var child = ChildProcess.Start(_db, _dir.Path, "run-1"))
        {
            childPid = child.Id;
            await DriveToAsync(child, KillPoint.MidWay);
            child.Kill();
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGleitzeit(o => o.ResumeUnfinishedRunsOnStart = true)
            .AddProvider(CrashWorkflow.Provider(_dir.Path, (_, _) => Task.CompletedTask))
            .AddSqlite(o => o.DatabasePath = _db);
        using var host = builder.Build();
        await host.StartAsync();
        var engine = host.Services.GetRequiredService<ExecutionEngine>();
        var resumed = await engine.WaitAsync("run-1");
        await host.StopAsync();

        Assert.That(engine.Store, Is.InstanceOf<SqliteWorkflowStore>());
        AssertFinishedExactly(resumed, childPid, ["a", "b"], "c");
    }

    [Test]
    public async Task Without_the_option_the_host_leaves_unfinished_runs_alone()
    {
        using (var child = ChildProcess.Start(_db, _dir.Path, "run-1"))
        {
            await DriveToAsync(child, KillPoint.MidWay);
            child.Kill();
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGleitzeit()
            .AddProvider(CrashWorkflow.Provider(_dir.Path, (_, _) => Task.CompletedTask))
            .AddSqlite(o => o.DatabasePath = _db);
        using var host = builder.Build();
        await host.StartAsync();
        var run = await host.Services.GetRequiredService<ExecutionEngine>().GetRunAsync("run-1");
        await host.StopAsync();

        Assert.That(run!.Status, Is.EqualTo(WorkflowStatus.Running));
        Assert.That(CrashWorkflow.Executions(_dir.Path, "d"), Is.Empty);
    }

    /// <summary>Lets the child go as far as the kill point. A "completed X" line means X's completion is committed
    /// (the engine publishes it after the store write), and "started X" means X's dependencies' completions are.</summary>
    private static async Task DriveToAsync(ChildProcess child, KillPoint point)
    {
        await child.WaitForAsync("started a");
        if (point == KillPoint.BeforeTheFirstTaskEnds) return;
        child.Release("a");
        await child.WaitForAsync("started b", "started c");
        child.Release("b");
        await child.WaitForAsync("completed b");
        if (point == KillPoint.MidWay) return;
        child.Release("c");
        await child.WaitForAsync("started d");
        child.Release("d");
        await child.WaitForAsync("started e");
    }

    private void AssertFinishedExactly(WorkflowRun resumed, int childPid, string[] completedBeforeKill, string runningAtKill)
    {
        var me = Environment.ProcessId;
        Assert.That(resumed.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)resumed.GetResult("e")!["value"], Is.EqualTo(CrashWorkflow.FinalValue));
        foreach (var id in CrashWorkflow.TaskIds)
        {
            var executions = CrashWorkflow.Executions(_dir.Path, id);
            if (completedBeforeKill.Contains(id))
            {
                Assert.That(executions, Is.EqualTo(new[] { childPid }), $"{id} completed before the kill: it ran once, in the child");
                Assert.That((int?)resumed.GetResult(id)!["pid"], Is.EqualTo(childPid), $"{id} keeps the child's result");
            }
            else if (id == runningAtKill)
            {
                Assert.That(executions, Is.EqualTo(new[] { childPid, me }), $"{id} was running at the kill: it ran again on resume");
                Assert.That((int?)resumed.GetResult(id)!["pid"], Is.EqualTo(me));
            }
            else
            {
                Assert.That(executions, Is.EqualTo(new[] { me }), $"{id} had not started: it ran once, on resume");
            }
        }
    }

    private ProviderRegistry ResumeRegistry()
    {
        var registry = new ProviderRegistry();
        registry.Register(CrashWorkflow.Provider(_dir.Path, (_, _) => Task.CompletedTask));
        return registry;
    }
}
