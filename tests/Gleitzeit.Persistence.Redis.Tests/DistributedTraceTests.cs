using System.Diagnostics;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>A run submitted to Redis is one trace: the worker process's attempt spans join it through the stream entries.</summary>
[NonParallelizable]
public sealed class DistributedTraceTests
{
    private static readonly ActivitySource Caller = new("Gleitzeit.Tests.Submitter");

    [Test]
    public async Task A_worker_process_attempt_spans_join_the_submitters_trace()
    {
        var options = RedisTestServer.NewOptions("trace");
        var spansFile = Path.Combine(Path.GetTempPath(), $"gleitzeit-spans-{Guid.NewGuid():N}.tsv");
        var exported = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(Caller.Name, GleitzeitDiagnostics.SourceName).AddInMemoryExporter(exported).Build();
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        await using var worker = await WorkerProcess.StartAsync(options, "tracer", spansFile: spansFile);
        try
        {
            var workflow = new WorkflowBuilder("distributed")
                .AddTask("first", "test/noop")
                .AddTask("second", "test/noop", null, t => t.DependsOn("first"))
                .Build();

            string id;
            ActivityTraceId traceId;
            using (var request = Caller.StartActivity("request"))
            {
                traceId = request!.TraceId;
                id = await queue.SubmitAsync(workflow);
            }
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var run = await queue.WaitAsync(id, limit.Token);
            await worker.StopAsync();
            tracing.ForceFlush();

            Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
            var runSpan = exported.Single(a => a.OperationName == "gleitzeit.workflow distributed");
            Assert.That(runSpan.TraceId, Is.EqualTo(traceId), "the run span is in the caller's trace");
            Assert.That(runSpan.GetTagItem("gleitzeit.workflow.id"), Is.EqualTo(id));
            var workerSpans = File.ReadAllLines(spansFile).Select(l => l.Split('\t')).Where(p => p[3] == "gleitzeit.task test/noop").ToList();
            Assert.That(workerSpans.Select(p => p[4]), Is.EquivalentTo(new[] { "first", "second" }), worker.Output);
            Assert.That(workerSpans.Select(p => p[0]), Is.All.EqualTo(traceId.ToHexString()), "the worker's spans are in the same trace");
            Assert.That(workerSpans.Select(p => p[1]), Is.All.EqualTo(runSpan.SpanId.ToHexString()), "children of the run span");
            Assert.That(workerSpans.Select(p => p[5]), Is.All.EqualTo("1"));
        }
        finally
        {
            File.Delete(spansFile);
        }
    }
}
