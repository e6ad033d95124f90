using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Providers.Mcp.Tests;

/// <summary>Each MCP server is a lane of the scheduler: a call waiting for its server holds no engine slot.</summary>
public sealed class LaneTests
{
    [Test]
    public async Task Twenty_calls_queued_on_a_server_bounded_at_one_hold_no_engine_slot_and_other_tasks_keep_flowing()
    {
        var options = new McpOptions();
        var server = TestServers.Ours();
        server.MaxConcurrency = 1;
        options.Servers["one"] = server;
        await using var mcp = new McpProvider(options);
        var registry = new ProviderRegistry();
        registry.Register(mcp);
        registry.Register(new RecordingProvider("quick/v1", (_, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["ok"] = true })));
        await using var engine = new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { MaxConcurrency = 2, DefaultRetry = RetryPolicy.None }));
        var builder = new WorkflowBuilder("lanes");
        for (var i = 0; i < 20; i++)
        {
            // The MCP calls come first and rank higher: without lanes they would take every engine slot.
            builder.McpTool($"mcp{i}", "slow", new { milliseconds = 20 }, configure: t => t.WithPriority(TaskPriority.High));
        }
        for (var i = 0; i < 5; i++) builder.AddTask($"quick{i}", "quick/run");
        var workflow = builder.Build();
        var events = new ConcurrentQueue<WorkflowEvent>();

        var run = await engine.RunAsync(workflow, new RunOptions { OnEvent = events.Enqueue });

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        var order = events.ToList();
        int running = 0, mostRunning = 0;
        foreach (var e in order)
        {
            if (e is TaskStarted { TaskId: var started } && started.StartsWith("mcp", StringComparison.Ordinal)) mostRunning = Math.Max(mostRunning, ++running);
            if (e is TaskCompleted { TaskId: var done } && done.StartsWith("mcp", StringComparison.Ordinal)) running--;
        }
        Assert.That(mostRunning, Is.EqualTo(1), "at most one MCP task holds an engine slot at a time");
        var lastMcpStart = order.FindLastIndex(e => e is TaskStarted s && s.TaskId.StartsWith("mcp", StringComparison.Ordinal));
        var quickDone = order.Select((e, i) => (e, i)).Where(x => x.e is TaskCompleted c && c.TaskId.StartsWith("quick", StringComparison.Ordinal)).Select(x => x.i).ToList();
        Assert.That(quickDone, Has.Count.EqualTo(5));
        Assert.That(quickDone, Has.All.LessThan(lastMcpStart), "the other tasks ran beside the queued MCP calls, not after them");
    }

    [Test]
    public void A_task_names_its_lane_by_provider_field_or_server_parameter_and_a_single_server_is_everyones_lane()
    {
        var two = new McpOptions();
        two.Servers["a"] = new McpServerOptions { Command = "a", MaxConcurrency = 3 };
        two.Servers["b"] = new McpServerOptions { Command = "b" };
        var one = new McpOptions();
        one.Servers["only"] = new McpServerOptions { Command = "x", MaxConcurrency = 2 };
        ITaskLanes lanes = new McpProvider(two);
        ITaskLanes single = new McpProvider(one);
        WorkflowTask Task(string? provider = null, JsonObject? parameters = null) =>
            new() { Id = "t", Protocol = "mcp/v1", Method = "tool.echo", Provider = provider, Parameters = parameters ?? [] };

        Assert.That(lanes.LaneFor(Task(provider: "a")), Is.EqualTo(new TaskLane("a", 3)));
        Assert.That(lanes.LaneFor(Task(parameters: new JsonObject { ["server"] = "b" })), Is.EqualTo(new TaskLane("b", 8)));
        Assert.That(lanes.LaneFor(Task()), Is.Null, "the tool is looked up on every server: not known before the call");
        Assert.That(lanes.LaneFor(Task(parameters: new JsonObject { ["server"] = "${up.name}" })), Is.Null);
        Assert.That(single.LaneFor(Task()), Is.EqualTo(new TaskLane("only", 2)));
        Assert.That(((ITaskProvider)new McpProvider(one)).GetService(typeof(ITaskLanes)), Is.Not.Null);
    }
}
