using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>A provider with several back ends (<see cref="ITaskLanes"/>) gets a scheduler lane per back end.</summary>
public class LaneTests
{
    /// <summary>Back ends named by the task's <c>lane</c> parameter, each bounded at <paramref name="bound"/>.</summary>
    private sealed class Laned(RecordingProvider inner, int bound) : ITaskProvider, ITaskLanes
    {
        public ProtocolDescriptor Protocol => inner.Protocol;

        public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken) => inner.ExecuteAsync(invocation, cancellationToken);

        public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => inner.CheckHealthAsync(cancellationToken);

        public TaskLane? LaneFor(WorkflowTask task) => task.Parameters["lane"] is JsonValue v ? new TaskLane(v.GetValue<string>(), bound) : null;
    }

    private static Workflow Tasks(int perLane, params string[] lanes)
    {
        var builder = new WorkflowBuilder("lanes");
        foreach (var lane in lanes)
        {
            for (var i = 0; i < perLane; i++) builder.AddTask($"{lane}{i}", "test/run", new JsonObject { ["lane"] = lane });
        }
        return builder.Build();
    }

    private static async Task<(WorkflowRun Run, RecordingProvider Recorder)> RunAsync(Workflow workflow, int laneBound, int? providerBound)
    {
        var recorder = new RecordingProvider();
        var registry = new ProviderRegistry();
        registry.Register(new Laned(recorder, laneBound), maxConcurrency: providerBound);
        await using var engine = new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { MaxConcurrency = 8 }));
        return (await engine.RunAsync(workflow), recorder);
    }

    [Test]
    public async Task Each_back_end_is_bounded_on_its_own()
    {
        var (run, recorder) = await RunAsync(Tasks(10, "x", "y"), laneBound: 1, providerBound: null);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(recorder.MaxConcurrent, Is.LessThanOrEqualTo(2), "one per back end");
    }

    [Test]
    public async Task The_lanes_of_a_provider_share_its_bound()
    {
        var (run, recorder) = await RunAsync(Tasks(10, "x", "y", "z"), laneBound: 4, providerBound: 1);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(recorder.MaxConcurrent, Is.EqualTo(1));
        Assert.That(recorder.TotalCalls, Is.EqualTo(30));
    }
}
