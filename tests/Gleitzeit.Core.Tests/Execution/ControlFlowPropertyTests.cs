using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>
/// Random DAGs with <c>when</c> conditions, <c>join: all|any</c> and failing tasks: the engine's final states match a
/// simple reference model, and no task starts before the dependencies that ran have finished.
/// </summary>
public class ControlFlowPropertyTests
{
    private sealed record Node(string Id, string[] Deps, JoinMode Join, string? WhenDep, int Value, bool Fails);

    private static List<Node> RandomNodes(Random random, int count)
    {
        var nodes = new List<Node>();
        for (var i = 0; i < count; i++)
        {
            var deps = Enumerable.Range(0, i).Where(_ => random.NextDouble() < 0.25).Select(j => $"t{j}").Take(4).ToArray();
            var join = deps.Length > 1 && random.Next(2) == 0 ? JoinMode.Any : JoinMode.All;
            var whenDep = deps.Length > 0 && random.NextDouble() < 0.4 ? deps[random.Next(deps.Length)] : null;
            nodes.Add(new Node($"t{i}", deps, join, whenDep, random.Next(2), random.NextDouble() < 0.08));
        }
        return nodes;
    }

    /// <summary>What the engine must end with: the semantics of §13 written as plainly as possible.</summary>
    private static Dictionary<string, WorkflowTaskStatus> Model(List<Node> nodes)
    {
        var status = new Dictionary<string, WorkflowTaskStatus>();
        var value = new Dictionary<string, int>();
        foreach (var n in nodes)
        {
            var completed = n.Deps.Count(d => status[d] == WorkflowTaskStatus.Completed);
            var blocked = n.Join == JoinMode.All ? completed < n.Deps.Length : n.Deps.Length > 0 && completed == 0;
            if (blocked)
            {
                status[n.Id] = WorkflowTaskStatus.Skipped;
                continue;
            }
            // ${dep.value} == 1, where a dependency that did not complete reads as null (join any).
            if (n.WhenDep is { } w && !(status[w] == WorkflowTaskStatus.Completed && value[w] == 1))
            {
                status[n.Id] = WorkflowTaskStatus.Skipped;
                continue;
            }
            status[n.Id] = n.Fails ? WorkflowTaskStatus.Failed : WorkflowTaskStatus.Completed;
            value[n.Id] = n.Value;
        }
        return status;
    }

    [Test]
    public async Task Final_states_match_the_reference_model_and_no_task_starts_early([Range(0, 199)] int seed)
    {
        var random = new Random(seed);
        var nodes = RandomNodes(random, random.Next(1, 40));
        var builder = new WorkflowBuilder("random-control-flow");
        foreach (var n in nodes)
        {
            builder.AddTask(n.Id, "test/run", new JsonObject { ["value"] = n.Value, ["fail"] = n.Fails }, t =>
            {
                t.DependsOn(n.Deps).Join(n.Join).WithRetry(1);
                if (n.WhenDep is { } w) t.When($"${{{w}.value}} == 1");
            });
        }
        var workflow = builder.Build();
        var provider = new RecordingProvider(behaviour: (inv, _) => (bool)inv.Parameters["fail"]!
            ? throw new GleitzeitException(GleitzeitErrorCode.TaskExecutionFailed, "planned failure")
            : ValueTask.FromResult<JsonNode?>(new JsonObject { ["value"] = inv.Parameters["value"]!.DeepClone() }));
        var registry = new ProviderRegistry();
        registry.Register(provider);
        await using var engine = new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { MaxConcurrency = random.Next(1, 6) }));
        var expected = Model(nodes);
        var byId = nodes.ToDictionary(n => n.Id);
        var violations = new List<string>();
        provider.OnStart = inv =>
        {
            foreach (var dep in byId[inv.TaskId].Deps)
            {
                if (expected[dep] != WorkflowTaskStatus.Skipped && !provider.Finished.ContainsKey(dep))
                {
                    lock (violations) violations.Add($"{inv.TaskId} started before {dep} finished");
                }
            }
        };

        var run = await engine.RunAsync(workflow);

        Assert.That(violations, Is.Empty);
        Assert.That(run.Tasks.ToDictionary(kv => kv.Key, kv => kv.Value.Status), Is.EquivalentTo(expected));
        Assert.That(provider.Calls.Keys, Is.EquivalentTo(expected.Where(kv => kv.Value != WorkflowTaskStatus.Skipped).Select(kv => kv.Key)));
        Assert.That(provider.Calls.Values, Has.All.EqualTo(1));
        var anyFailed = expected.Values.Contains(WorkflowTaskStatus.Failed);
        Assert.That(run.Status, Is.EqualTo(anyFailed ? WorkflowStatus.Failed : WorkflowStatus.Completed));
        foreach (var (id, state) in run.Tasks.Where(kv => kv.Value.Status == WorkflowTaskStatus.Skipped))
        {
            // A skip says why: a failure upstream, or a false condition (here or upstream), never both silently.
            Assert.That(state.Error!.Code, Is.AnyOf(GleitzeitErrorCode.TaskDependencyFailed, GleitzeitErrorCode.TaskConditionFalse), id);
        }
    }
}
