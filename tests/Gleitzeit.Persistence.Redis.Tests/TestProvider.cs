using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>
/// The <c>test/v1</c> provider the distributed tests run, in process and in worker processes. Every execution is
/// reported to <c>record</c> (a line: run, task, attempt, method), so a test can count how often each task ran.
/// </summary>
internal sealed class TestProvider(Action<string> record) : ITaskProvider
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Pairs = new();

    public ProtocolDescriptor Protocol { get; } = new("test", "v1",
    [
        new MethodDescriptor("test/noop"),
        new MethodDescriptor("test/sum"),
        new MethodDescriptor("test/block"),
        new MethodDescriptor("test/flaky"),
        new MethodDescriptor("test/fail"),
        new MethodDescriptor("test/pair"),
        new MethodDescriptor("test/busy"),
    ]);

    public static string Line(TaskInvocation inv) => $"{inv.WorkflowId}\t{inv.TaskId}\t{inv.Attempt}\t{inv.Method}";

    public async ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        record(Line(invocation));
        var p = invocation.Parameters;
        switch (invocation.Method)
        {
            case "test/noop":
                return new JsonObject { ["ok"] = true };
            case "test/sum":
            {
                if ((int?)p["sleep_ms"] is int sleep and > 0) await Task.Delay(sleep, cancellationToken);
                var n = (long?)p["add"] ?? 0;
                if (p["values"] is JsonArray values) n += values.Sum(v => (long)v!);
                return new JsonObject { ["n"] = n };
            }
            case "test/block":
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return null;
            case "test/flaky":
                if (invocation.Attempt <= ((int?)p["fail_times"] ?? 1))
                {
                    throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable, $"not yet (attempt {invocation.Attempt})");
                }
                return new JsonObject { ["attempt"] = invocation.Attempt };
            case "test/fail":
                throw new GleitzeitException(GleitzeitErrorCode.InvalidParams, "this task always fails");
            case "test/busy":
            {
                // Counts itself in and out of a gauge file shared by every worker, in process or not, which keeps the most seen at once.
                var gauge = (string)p["gauge"]!;
                Gauge.Adjust(gauge, +1);
                try
                {
                    var sleep = invocation.Attempt == 1 && (int?)p["first_sleep_ms"] is int first ? first : (int?)p["sleep_ms"] ?? 50;
                    await Task.Delay(sleep, cancellationToken);
                }
                finally
                {
                    Gauge.Adjust(gauge, -1);
                }
                var busy = new JsonObject { ["ok"] = true };
                if (p["echo"] is { } echo) busy["echo"] = echo.DeepClone();
                return busy;
            }
            case "test/pair":
            {
                // The two tasks of a group wait for each other, so they finish (and report) together.
                var key = invocation.WorkflowId + "/" + (string)p["group"]!;
                var gate = Pairs.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                if (!Pairs.TryAdd(key + "/second", gate)) gate.TrySetResult();
                try
                {
                    await gate.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                }
                catch (TimeoutException)
                {
                    // The partner did not get a slot in time: finish alone.
                }
                return new JsonObject { ["n"] = (long?)p["value"] ?? 0 };
            }
            default:
                throw new GleitzeitException(GleitzeitErrorCode.MethodNotFound, invocation.Method);
        }
    }

    public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProviderHealth.Healthy());
}
