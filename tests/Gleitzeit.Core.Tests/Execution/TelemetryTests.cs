using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Core.Tests.Execution;

[NonParallelizable]
public class TelemetryTests
{
    [Test]
    public async Task Each_task_attempt_is_an_activity_and_completions_are_counted_on_the_Gleitzeit_meter()
    {
        var activities = new ConcurrentBag<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Gleitzeit",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activities.Add,
        };
        ActivitySource.AddActivityListener(activityListener);
        var completed = new ConcurrentDictionary<string, long>();
        using var meterListener = new MeterListener();
        meterListener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Gleitzeit") l.EnableMeasurementEvents(instrument);
        };
        meterListener.SetMeasurementEventCallback<long>((instrument, value, _, _) => completed.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        meterListener.Start();
        var registry = new ProviderRegistry();
        registry.Register(new RecordingProvider());
        await using var engine = new ExecutionEngine(registry);

        var run = await engine.RunAsync(new WorkflowBuilder("telemetry").AddTask("a", "test/run").AddTask("b", "test/run", null, t => t.DependsOn("a")).Build());

        var mine = activities.Where(a => (string?)a.GetTagItem("gleitzeit.workflow.id") == run.WorkflowId && a.OperationName.StartsWith("gleitzeit.task ", StringComparison.Ordinal)).ToList();
        Assert.That(mine.Select(a => a.GetTagItem("gleitzeit.task.id")), Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(mine.Select(a => a.Status), Has.All.EqualTo(ActivityStatusCode.Ok));
        Assert.That(completed.GetValueOrDefault("gleitzeit.tasks.completed"), Is.GreaterThanOrEqualTo(2));
        Assert.That(completed.GetValueOrDefault("gleitzeit.workflows.finished"), Is.GreaterThanOrEqualTo(1));
    }
}
