using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Core.Tests;

/// <summary><see cref="WorkflowRun.EnsureSucceeded"/>: a completed run passes through, anything else throws naming every task that did not complete.</summary>
public class WorkflowRunTests
{
    private static async Task<WorkflowRun> RunAsync(Workflow workflow)
    {
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());
        registry.Register(new DelegateProvider("fail/v1",
            (invocation, _) => throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable, $"no server for {(string?)invocation.Parameters["what"]}"), "fail"));
        await using var engine = new ExecutionEngine(registry);
        return await engine.RunAsync(workflow);
    }

    private static WorkflowBuilder Echo(WorkflowBuilder builder, string id, params string[] dependsOn) =>
        builder.AddTask(id, "echo", new JsonObject { ["message"] = id }, t => t.WithProtocol("echo/v1").DependsOn(dependsOn).WithRetry(1));

    private static WorkflowBuilder Fail(WorkflowBuilder builder, string id, string what) =>
        builder.AddTask(id, "fail", new JsonObject { ["what"] = what }, t => t.WithProtocol("fail/v1").WithRetry(1));

    [Test]
    public async Task A_completed_run_is_returned_as_it_is()
    {
        var run = await RunAsync(Echo(new WorkflowBuilder("fine"), "a").Build());

        Assert.That(run.EnsureSucceeded(), Is.SameAs(run));
    }

    [Test]
    public async Task A_failed_run_throws_naming_each_failed_task_and_its_error()
    {
        var builder = new WorkflowBuilder("broken");
        Fail(builder, "poem", "the poem");
        Fail(builder, "title", "the title");
        Echo(builder, "ok");
        Echo(builder, "count", "poem");
        var run = await RunAsync(builder.Build());

        var ex = Assert.Throws<GleitzeitException>(() => run.EnsureSucceeded())!;

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowExecutionFailed));
        var lines = ex.Message.Split(Environment.NewLine);
        Assert.That(lines[0], Is.EqualTo($"Workflow 'broken' ({run.WorkflowId}) failed: 2 of 4 tasks failed."));
        Assert.That(lines, Does.Contain("  task 'poem' failed: PROVIDER_NOT_AVAILABLE: no server for the poem"));
        Assert.That(lines, Does.Contain("  task 'title' failed: PROVIDER_NOT_AVAILABLE: no server for the title"));
        Assert.That(lines.Single(l => l.StartsWith("  task 'count'", StringComparison.Ordinal)), Does.StartWith("  task 'count' skipped: TASK_DEPENDENCY_FAILED"));
        Assert.That(lines, Has.Length.EqualTo(4), "a header and the three tasks; completed tasks are not listed");
        var tasks = ex.ErrorData!["tasks"]!.AsArray();
        Assert.That(tasks.Select(t => (string?)t!["task_id"]), Is.EquivalentTo(new[] { "poem", "title", "count" }));
        Assert.That((int?)tasks.First(t => (string?)t!["task_id"] == "poem")!["error"]!["code"], Is.EqualTo((int)GleitzeitErrorCode.ProviderNotAvailable));
        Assert.That((string?)ex.ErrorData["workflow_id"], Is.EqualTo(run.WorkflowId));
    }

    [Test]
    public void A_run_that_has_not_finished_throws()
    {
        var run = new WorkflowRun { WorkflowId = "wf-1", Name = "busy", Status = WorkflowStatus.Running };

        var ex = Assert.Throws<GleitzeitException>(() => run.EnsureSucceeded())!;

        Assert.That(ex.Message, Is.EqualTo("Workflow 'busy' (wf-1) has not finished (status running)."));
    }

    [Test]
    public void A_run_error_such_as_a_timeout_is_named_and_gives_the_code()
    {
        var run = new WorkflowRun
        {
            WorkflowId = "wf-2", Name = "slow", Status = WorkflowStatus.Failed,
            Error = new GleitzeitError(GleitzeitErrorCode.WorkflowTimeout, "the run took longer than 5s"),
            Tasks = new Dictionary<string, TaskResult>
            {
                ["a"] = new() { TaskId = "a", Status = WorkflowTaskStatus.Cancelled, Error = new GleitzeitError(GleitzeitErrorCode.TaskCancelled, "cancelled by the run's timeout") },
            },
        };

        var ex = Assert.Throws<GleitzeitException>(() => run.EnsureSucceeded())!;

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowTimeout));
        Assert.That(ex.Message.Split(Environment.NewLine), Is.EqualTo(new[]
        {
            "Workflow 'slow' (wf-2) failed: 0 of 1 task failed.",
            "  run: WORKFLOW_TIMEOUT: the run took longer than 5s",
            "  task 'a' cancelled: TASK_CANCELLED: cancelled by the run's timeout",
        }));
    }
}
