using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>
/// A watcher that joins a run while its tasks change state: whatever moment it joins at, it ends up told about every
/// task's final state (a completion written while it subscribed was once lost for good: CI saw a watcher get the
/// second task's completion and never the first's).
/// </summary>
public class WatchJoinRaceTests
{
    [Test]
    public async Task A_watcher_joining_at_any_moment_sees_every_task_end()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit(o => o.MaxConcurrency = 4)
            .AddProvider(new DelegateProvider("noop/v1", (_, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["ok"] = true }), "go"));
        await using var sp = services.BuildServiceProvider();
        var engine = sp.GetRequiredService<ExecutionEngine>();

        var builder = new WorkflowBuilder("race");
        for (var i = 0; i < 8; i++)
        {
            var deps = i == 0 ? Array.Empty<string>() : [$"t{i - 1}"];
            builder.AddTask($"t{i}", "go", new JsonObject(), t => t.WithProtocol("noop/v1").DependsOn(deps));
        }
        var workflow = builder.Build();
        var failures = new List<string>();
        for (var run = 0; run < 400 && failures.Count == 0; run++)
        {
            var id = await engine.SubmitAsync(workflow, new RunOptions { WorkflowId = $"r{run}" });
            // Join after a varying head start, so subscriptions land in every phase of the run.
            for (var spin = 0; spin < run % 40 * 50; spin++) Thread.SpinWait(1);
            var ended = new HashSet<string>();
            await foreach (var e in engine.WatchAsync(id))
            {
                if (e is TaskCompleted c) ended.Add(c.TaskId);
            }
            if (ended.Count != 8) failures.Add($"run {run}: the watcher saw {ended.Count} of 8 completions ({string.Join(",", ended.Order())})");
        }

        Assert.That(failures, Is.Empty);
    }
}
