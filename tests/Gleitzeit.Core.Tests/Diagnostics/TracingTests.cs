using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Gleitzeit.Core.Tests.Diagnostics;

/// <summary>A run is one trace under the caller's activity, exported through the OpenTelemetry SDK's in-memory exporter.</summary>
[NonParallelizable]
public sealed class TracingTests
{
    private const string CallerSource = "Gleitzeit.Tests.Caller";
    private static readonly ActivitySource Caller = new(CallerSource);

    [Test]
    public async Task A_run_is_one_trace_under_the_callers_activity_with_one_span_per_attempt()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(CallerSource, GleitzeitDiagnostics.SourceName).AddInMemoryExporter(spans).Build();
        var calls = 0;
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("flaky/v1", (inv, _) =>
        {
            if (inv.TaskId == "b" && Interlocked.Increment(ref calls) == 1) throw new GleitzeitException(GleitzeitErrorCode.ProviderOverloaded, "busy, try again");
            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["ok"] = true });
        }, "flaky/go"), id: "flaky");
        await using var engine = new ExecutionEngine(registry);
        var workflow = new WorkflowBuilder("traced")
            .AddTask("a", "flaky/go")
            .AddTask("b", "flaky/go", null, t => t.DependsOn("a").WithRetry(new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero, Jitter = false }))
            .Build();

        WorkflowRun run;
        ActivityTraceId traceId;
        ActivitySpanId callerSpan;
        using (var request = Caller.StartActivity("request"))
        {
            traceId = request!.TraceId;
            callerSpan = request.SpanId;
            run = await engine.RunAsync(workflow);
        }
        tracing.ForceFlush();

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        var mine = spans.Where(s => s.TraceId == traceId).ToList();
        var runSpan = mine.Single(s => s.OperationName == "gleitzeit.workflow traced");
        Assert.That(runSpan.ParentSpanId, Is.EqualTo(callerSpan), "the run span is a child of the caller's activity");
        Assert.That(runSpan.GetTagItem("gleitzeit.workflow.id"), Is.EqualTo(run.WorkflowId));
        Assert.That(runSpan.GetTagItem("gleitzeit.workflow.name"), Is.EqualTo("traced"));
        Assert.That(runSpan.Status, Is.EqualTo(ActivityStatusCode.Ok));

        var attempts = mine.Where(s => s.OperationName == "gleitzeit.task flaky/go").OrderBy(s => s.StartTimeUtc).ToList();
        Assert.That(attempts.Select(s => ((string?)s.GetTagItem("gleitzeit.task.id"), s.GetTagItem("gleitzeit.task.attempt"))),
            Is.EqualTo(new (string?, object?)[] { ("a", 1), ("b", 1), ("b", 2) }));
        Assert.That(attempts.Select(s => s.ParentSpanId), Is.All.EqualTo(runSpan.SpanId), "retries are siblings under the run");
        Assert.That(attempts.Select(s => s.GetTagItem("gleitzeit.task.method")), Is.All.EqualTo("flaky/go"));
        Assert.That(attempts.Select(s => s.GetTagItem("gleitzeit.provider")), Is.All.EqualTo("flaky"));
        Assert.That(attempts.Select(s => s.GetTagItem("gleitzeit.workflow.id")), Is.All.EqualTo(run.WorkflowId));

        var failed = attempts[1];
        Assert.That(failed.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(failed.GetTagItem("error.type"), Is.EqualTo("PROVIDER_OVERLOADED"));
        var exception = failed.Events.Single(e => e.Name == "exception");
        Assert.That(exception.Tags.Single(t => t.Key == "exception.message").Value, Is.EqualTo("busy, try again"));
        Assert.That(attempts[2].Status, Is.EqualTo(ActivityStatusCode.Ok));
        Assert.That(spans.Where(s => s.OperationName.StartsWith("gleitzeit.", StringComparison.Ordinal) && (string?)s.GetTagItem("gleitzeit.workflow.id") == run.WorkflowId)
            .Select(s => s.TraceId), Is.All.EqualTo(traceId), "nothing of the run leaves the caller's trace");
    }

    [Test]
    public async Task A_failed_run_ends_its_span_with_the_error_type_and_an_exception_event()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(GleitzeitDiagnostics.SourceName).AddInMemoryExporter(spans).Build();
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("broken/v1", (_, _) => throw new GleitzeitException(GleitzeitErrorCode.InvalidParams, "no such thing"), "broken/go"));
        await using var engine = new ExecutionEngine(registry);

        var run = await engine.RunAsync(new WorkflowBuilder("doomed").AddTask("x", "broken/go").Build());
        tracing.ForceFlush();

        var runSpan = spans.Single(s => (string?)s.GetTagItem("gleitzeit.workflow.id") == run.WorkflowId && s.OperationName == "gleitzeit.workflow doomed");
        Assert.That(runSpan.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(runSpan.GetTagItem("error.type"), Is.EqualTo("WORKFLOW_EXECUTION_FAILED"));
        Assert.That(runSpan.GetTagItem("gleitzeit.workflow.status"), Is.EqualTo("failed"));
        Assert.That(runSpan.Events.Select(e => e.Name), Does.Contain("exception"));
        var attempt = spans.Single(s => s.ParentSpanId == runSpan.SpanId);
        Assert.That(attempt.GetTagItem("error.type"), Is.EqualTo("INVALID_PARAMS"));
    }

    [Test]
    public async Task The_callers_logging_scopes_and_activity_reach_the_provider()
    {
        var scopes = new ScopeCapture();
        using var factory = LoggerFactory.Create(b => b.AddProvider(scopes).SetMinimumLevel(LogLevel.Trace));
        var logger = factory.CreateLogger("caller");
        string? seenParent = null;
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("logs/v1", (inv, _) =>
        {
            logger.LogInformation("inside {Task}", inv.TaskId);
            seenParent = Activity.Current?.Parent?.OperationName;
            return ValueTask.FromResult<JsonNode?>(new JsonObject());
        }, "logs/go"));
        await using var engine = new ExecutionEngine(registry);
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is GleitzeitDiagnostics.SourceName or CallerSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(listener);

        using (Caller.StartActivity("request"))
        using (logger.BeginScope("request {RequestId}", "req-42"))
        {
            await engine.RunAsync(new WorkflowBuilder("scoped").AddTask("a", "logs/go").AddTask("b", "logs/go", null, t => t.DependsOn("a")).Build());
        }

        Assert.That(scopes.Seen.Where(s => s.Message.StartsWith("inside", StringComparison.Ordinal)).Select(s => s.Scopes).ToList(),
            Has.Count.EqualTo(2).And.All.Contains("request req-42"), "the caller's scope is around both tasks' logs");
        Assert.That(seenParent, Is.EqualTo("gleitzeit.workflow scoped"), "the attempt's activity is current in the provider, under the run's");
    }

    /// <summary>Records each log line with the scopes around it (the factory hands its async-local scopes to this provider).</summary>
    private sealed class ScopeCapture : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public List<(string Message, List<string> Scopes)> Seen { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(ScopeCapture owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopes = new List<string>();
                owner._scopes.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? ""), scopes);
                lock (owner.Seen) owner.Seen.Add((formatter(state, exception), scopes));
            }
        }
    }
}
