using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>The engine as the in-process <see cref="IWorkflowRunner"/>: everything through the interface only.</summary>
public class WorkflowRunnerTests
{
    private static (ServiceProvider Services, TaskCompletionSource Gate) Build()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var services = new ServiceCollection();
        services.AddGleitzeit().AddProvider(new DelegateProvider("gate/v1", async (inv, ct) =>
        {
            await gate.Task.WaitAsync(ct);
            return new JsonObject { ["echo"] = inv.Parameters["value"]?.DeepClone() };
        }, "pass"));
        return (services.BuildServiceProvider(), gate);
    }

    private static Workflow TwoSteps() => new WorkflowBuilder("runner")
        .WithInput("v", "default")
        .AddTask("a", "pass", new JsonObject { ["value"] = "${inputs.v}" }, t => t.WithProtocol("gate/v1"))
        .AddTask("b", "pass", new JsonObject { ["value"] = "${a.echo}!" }, t => t.WithProtocol("gate/v1").DependsOn("a"))
        .Build();

    [Test]
    public async Task AddGleitzeit_registers_the_engine_as_the_runner()
    {
        var (sp, _) = Build();
        await using var _sp = sp;

        Assert.That(sp.GetRequiredService<IWorkflowRunner>(), Is.SameAs(sp.GetRequiredService<ExecutionEngine>()));
    }

    [Test]
    public async Task Submit_get_watch_and_wait_through_the_interface()
    {
        var (sp, gate) = Build();
        await using var _sp = sp;
        IWorkflowRunner runner = sp.GetRequiredService<IWorkflowRunner>();

        var id = await runner.SubmitAsync(TwoSteps(), new RunOptions { WorkflowId = "r1", Inputs = new Dictionary<string, JsonNode?> { ["v"] = "x" } });
        Assert.That(id, Is.EqualTo("r1"));
        var live = await runner.GetRunAsync(id);
        Assert.That(live!.IsFinished, Is.False);
        var watching = Task.Run(async () =>
        {
            var seen = new List<WorkflowEvent>();
            await foreach (var e in runner.WatchAsync(id)) seen.Add(e);
            return seen;
        });
        gate.SetResult();
        var run = await runner.WaitAsync(id);
        var events = await watching;

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)run.GetResult("b")!["echo"], Is.EqualTo("x!"));
        Assert.That(events[0], Is.TypeOf<WorkflowStarted>());
        Assert.That(events[^1], Is.TypeOf<WorkflowCompleted>().With.Property(nameof(WorkflowCompleted.Status)).EqualTo(WorkflowStatus.Completed));
        Assert.That(events.OfType<TaskCompleted>().Select(e => e.TaskId), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(await runner.GetRunAsync("unknown"), Is.Null);
    }

    [Test]
    public async Task Cancel_through_the_interface_ends_the_run_cancelled()
    {
        var (sp, _) = Build();
        await using var _sp = sp;
        IWorkflowRunner runner = sp.GetRequiredService<IWorkflowRunner>();

        var id = await runner.SubmitAsync(TwoSteps());
        await runner.CancelAsync(id);
        var run = await runner.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(run.Tasks.Values.Select(t => t.Status), Is.All.EqualTo(WorkflowTaskStatus.Cancelled));
        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await runner.WaitAsync("unknown"));
        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
    }
}
