using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>Properties of the scheduler checked over many random DAGs.</summary>
public class SchedulingPropertyTests
{
    private static Workflow RandomDag(Random random, int taskCount, double edgeProbability, out Dictionary<string, string[]> dependencies)
    {
        var builder = new WorkflowBuilder("random");
        dependencies = [];
        for (var i = 0; i < taskCount; i++)
        {
            var deps = Enumerable.Range(0, i).Where(_ => random.NextDouble() < edgeProbability).Select(j => $"t{j}").ToArray();
            var parameters = new JsonObject { ["value"] = i };
            if (deps.Length > 0) parameters["from"] = $"${{{deps[random.Next(deps.Length)]}.response}}";
            var priority = random.Next(0, 4) * 10;
            builder.AddTask($"t{i}", "test/run", parameters, t => t.DependsOn(deps).WithPriority(priority));
            dependencies[$"t{i}"] = deps;
        }
        return builder.Build();
    }

    [Test]
    public async Task Every_task_runs_once_after_its_dependencies_within_the_bound([Range(0, 299)] int seed)
    {
        var random = new Random(seed);
        var bound = random.Next(1, 6);
        var provider = new RecordingProvider();
        var registry = new ProviderRegistry();
        registry.Register(provider);
        await using var engine = new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { MaxConcurrency = bound }));
        var workflow = RandomDag(random, random.Next(1, 60), random.NextDouble() * 0.3, out var dependencies);
        var violations = new List<string>();
        provider.OnStart = inv =>
        {
            foreach (var dep in dependencies[inv.TaskId])
            {
                if (!provider.Finished.ContainsKey(dep)) lock (violations) violations.Add($"{inv.TaskId} started before {dep} finished");
            }
        };

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(violations, Is.Empty);
        Assert.That(provider.Calls.Keys, Is.EquivalentTo(workflow.Tasks.Select(t => t.Id)));
        Assert.That(provider.Calls.Values, Has.All.EqualTo(1));
        Assert.That(provider.MaxConcurrent, Is.LessThanOrEqualTo(bound));
        foreach (var task in workflow.Tasks.Where(t => t.Dependencies.Count > 0))
        {
            var from = (string)task.Parameters["from"]!;
            var source = from[2..from.IndexOf('.')];
            Assert.That((string?)run.Tasks[task.Id].Result!["response"], Is.EqualTo(task.Id));
            Assert.That(run.Tasks[source].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        }
    }

    [Test]
    public async Task With_one_slot_the_highest_priority_ready_task_starts_first([Range(0, 99)] int seed)
    {
        var random = new Random(seed);
        var provider = new RecordingProvider();
        var registry = new ProviderRegistry();
        registry.Register(provider);
        await using var engine = new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { MaxConcurrency = 1 }));
        var workflow = RandomDag(random, random.Next(2, 40), random.NextDouble() * 0.2, out var dependencies);
        var priority = workflow.Tasks.ToDictionary(t => t.Id, t => t.Priority);
        var violations = new List<string>();
        provider.OnStart = inv =>
        {
            var ready = workflow.Tasks.Where(t => !provider.Started.ContainsKey(t.Id) && t.Id != inv.TaskId && dependencies[t.Id].All(provider.Finished.ContainsKey));
            foreach (var other in ready)
            {
                if (other.Priority > priority[inv.TaskId]) violations.Add($"{inv.TaskId} (priority {priority[inv.TaskId]}) started while {other.Id} (priority {other.Priority}) was ready");
            }
        };

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(violations, Is.Empty);
    }

    [Test]
    public async Task Equal_priorities_start_in_the_order_they_became_ready()
    {
        var provider = new RecordingProvider();
        var registry = new ProviderRegistry();
        registry.Register(provider);
        await using var engine = new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { MaxConcurrency = 1 }));
        var builder = new WorkflowBuilder("fifo");
        for (var i = 0; i < 20; i++) builder.AddTask($"t{i}", "test/run");

        await engine.RunAsync(builder.Build());

        Assert.That(provider.StartOrder, Is.EqualTo(Enumerable.Range(0, 20).Select(i => $"t{i}")));
    }

    [TestCase(10_000, 0)]
    [TestCase(10_000, 1)]
    public async Task Ten_thousand_tasks_complete(int count, int shape)
    {
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("noop/v1", (inv, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["n"] = inv.TaskId })));
        await using var engine = new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { MaxConcurrency = 8 }));
        var builder = new WorkflowBuilder("big");
        for (var i = 0; i < count; i++)
        {
            // shape 0: a chain, each reading its predecessor; shape 1: a fan-out from t0 into a fan-in.
            if (i == 0) builder.AddTask("t0", "noop/run");
            else if (shape == 0) builder.AddTask($"t{i}", "noop/run", new JsonObject { ["prev"] = $"${{t{i - 1}.n}}" }, t => t.DependsOn($"t{i - 1}"));
            else if (i < count - 1) builder.AddTask($"t{i}", "noop/run", new JsonObject { ["root"] = "${t0.n}" }, t => t.DependsOn("t0"));
            else builder.AddTask($"t{i}", "noop/run", null, t => t.DependsOn([.. Enumerable.Range(1, count - 2).Select(j => $"t{j}")]));
        }

        var run = await engine.RunAsync(builder.Build());

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), () => string.Join("; ", run.Tasks.Values.Where(t => t.Error is not null).Take(3).Select(t => $"{t.TaskId}: {t.Error}")));
        Assert.That(run.Tasks.Values.Count(t => t.Status == WorkflowTaskStatus.Completed), Is.EqualTo(count));
    }
}
