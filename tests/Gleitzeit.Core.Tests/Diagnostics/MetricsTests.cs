using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.AI;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Gleitzeit.Core.Tests.Diagnostics;

/// <summary>The instruments of <see cref="GleitzeitDiagnostics.MeterName"/> as the OpenTelemetry SDK exports them: names, units, tags.</summary>
[NonParallelizable]
public sealed class MetricsTests
{
    [Test]
    public async Task Task_and_workflow_durations_are_seconds_tagged_by_method_provider_and_outcome()
    {
        var metrics = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(GleitzeitDiagnostics.MeterName).AddInMemoryExporter(metrics).Build();
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("metered/v1", (inv, _) => inv.TaskId == "bad"
            ? throw new GleitzeitException(GleitzeitErrorCode.InvalidParams, "nope")
            : ValueTask.FromResult<JsonNode?>(new JsonObject()), "metered/go"), id: "metered-provider");
        await using var engine = new ExecutionEngine(registry);

        await engine.RunAsync(new WorkflowBuilder("metered").AddTask("good", "metered/go").AddTask("bad", "metered/go").Build());
        meters.ForceFlush();

        var duration = metrics.Last(m => m.Name == "gleitzeit.task.duration");
        Assert.That(duration.Unit, Is.EqualTo("s"));
        Assert.That(duration.MetricType, Is.EqualTo(MetricType.Histogram));
        var points = Points(duration).Where(p => Tag(p, "gleitzeit.provider") == "metered-provider").ToList();
        Assert.That(points.Select(p => (Tag(p, "gleitzeit.task.method"), Tag(p, "gleitzeit.task.outcome"), Tag(p, "error.type"))),
            Is.EquivalentTo(new (string?, string?, string?)[] { ("metered/go", "completed", null), ("metered/go", "failed", "INVALID_PARAMS") }));
        Assert.That(points.Select(p => p.GetHistogramCount()), Is.All.EqualTo(1));
        Assert.That(points.Select(p => p.GetHistogramSum()), Is.All.LessThan(60), "seconds, not milliseconds");
        Assert.That(points.SelectMany(p => TagKeys(p)).Distinct(), Is.SubsetOf(new[] { "gleitzeit.task.method", "gleitzeit.provider", "gleitzeit.task.outcome", "error.type" }),
            "a bounded tag set: no run or task ids");

        var run = metrics.Last(m => m.Name == "gleitzeit.workflow.duration");
        Assert.That(run.Unit, Is.EqualTo("s"));
        Assert.That(Points(run).Select(p => Tag(p, "gleitzeit.workflow.status")), Does.Contain("failed"));

        var active = metrics.Last(m => m.Name == "gleitzeit.tasks.active");
        Assert.That(active.Unit, Is.EqualTo("{task}"));
        Assert.That(Points(active).Where(p => Tag(p, "gleitzeit.provider") == "metered-provider").Select(p => p.GetSumLong()), Is.All.EqualTo(0), "every attempt counted down");
        var queued = metrics.Last(m => m.Name == "gleitzeit.tasks.queued");
        Assert.That(queued.Unit, Is.EqualTo("{task}"));
        Assert.That(Points(queued).Sum(p => p.GetSumLong()), Is.EqualTo(0), "nothing waits once the run ended");
    }

    [Test]
    public async Task Queued_counts_tasks_waiting_for_a_slot()
    {
        var metrics = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(GleitzeitDiagnostics.MeterName).AddInMemoryExporter(metrics).Build();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("slow/v1", async (_, ct) =>
        {
            started.TrySetResult();
            await release.Task.WaitAsync(ct);
            return new JsonObject();
        }, "slow/go"));
        await using var engine = new ExecutionEngine(registry, options: Microsoft.Extensions.Options.Options.Create(new GleitzeitOptions { MaxConcurrency = 1 }));
        var builder = new WorkflowBuilder("queue");
        for (var i = 0; i < 4; i++) builder.AddTask("t" + i, "slow/go");

        var id = await engine.SubmitAsync(builder.Build());
        await started.Task;
        meters.ForceFlush();
        var waiting = Points(metrics.Last(m => m.Name == "gleitzeit.tasks.queued")).Sum(p => p.GetSumLong());
        release.SetResult();
        await engine.WaitAsync(id);

        Assert.That(waiting, Is.EqualTo(3), "one runs, three wait for the single slot");
    }

    [Test]
    public async Task Llm_tokens_are_counted_by_model_and_token_type()
    {
        var metrics = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(GleitzeitDiagnostics.MeterName).AddInMemoryExporter(metrics).Build();
        var registry = new ProviderRegistry();
        registry.Register(new LlmProvider(new UsageChatClient(), options: new LlmOptions { DefaultModel = "tiny-model" }));
        await using var engine = new ExecutionEngine(registry);

        var run = await engine.RunAsync(new WorkflowBuilder("tokens").AddTask("ask", "llm/chat", new JsonObject { ["prompt"] = "hi" }).Build());
        meters.ForceFlush();

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        var tokens = metrics.Last(m => m.Name == "gleitzeit.llm.tokens");
        Assert.That(tokens.Unit, Is.EqualTo("{token}"));
        var byType = Points(tokens).Where(p => Tag(p, "gen_ai.request.model") == "tiny-model").ToDictionary(p => Tag(p, "gen_ai.token.type")!, p => p.GetSumLong());
        Assert.That(byType, Is.EquivalentTo(new Dictionary<string, long> { ["input"] = 7, ["output"] = 3 }));
    }

    private static List<MetricPoint> Points(Metric metric)
    {
        var list = new List<MetricPoint>();
        foreach (ref readonly var p in metric.GetMetricPoints()) list.Add(p);
        return list;
    }

    private static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key) return tag.Value?.ToString();
        }
        return null;
    }

    private static List<string> TagKeys(MetricPoint point)
    {
        var keys = new List<string>();
        foreach (var tag in point.Tags) keys.Add(tag.Key);
        return keys;
    }

    /// <summary>Answers "ok" in one update and reports 7 input and 3 output tokens.</summary>
    private sealed class UsageChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the LLM provider streams");

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, "ok") { ModelId = options?.ModelId };
            yield return new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 7, OutputTokenCount = 3 })] };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
