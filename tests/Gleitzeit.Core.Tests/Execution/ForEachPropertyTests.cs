using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>Random DAGs with foreach nodes: every item runs exactly once, nothing starts before its dependencies, results keep their order.</summary>
public class ForEachPropertyTests
{
    /// <summary>Length of the list task <c>t{i}</c> returns in <c>list</c>.</summary>
    private static int ListLength(int i) => i % 5;

    [Test]
    public async Task Every_item_runs_once_after_its_tasks_dependencies_and_results_keep_their_order([Range(0, 149)] int seed)
    {
        var random = new Random(seed);
        var count = random.Next(1, 30);
        var builder = new WorkflowBuilder("random-foreach");
        var dependencies = new Dictionary<string, string[]>();
        var expectedItems = new Dictionary<string, int>();
        var bounds = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            var id = $"t{i}";
            var deps = Enumerable.Range(0, i).Where(_ => random.NextDouble() < 0.25).Select(j => $"t{j}").ToArray();
            dependencies[id] = deps;
            var plain = deps.Where(d => !expectedItems.ContainsKey(d)).ToArray();
            var kind = random.Next(3);
            if (kind == 0 && plain.Length > 0)
            {
                var source = plain[random.Next(plain.Length)];
                expectedItems[id] = ListLength(int.Parse(source[1..], System.Globalization.CultureInfo.InvariantCulture));
                var bound = random.Next(0, 3);
                builder.ForEach(id, $"${{{source}.list}}", t =>
                {
                    t.DependsOn(deps).WithMethod("test/item", new JsonObject { ["item"] = "${item}", ["index"] = "${index}" });
                    if (bound > 0) t.WithMaxConcurrency(bound);
                });
                if (bound > 0) bounds[id] = bound;
            }
            else if (kind == 1)
            {
                var n = random.Next(0, 5);
                expectedItems[id] = n;
                builder.ForEach(id, Enumerable.Range(0, n).Select(k => (object?)(k * 10)), t => t.DependsOn(deps).WithMethod("test/item", new JsonObject { ["item"] = "${item}", ["index"] = "${index}" }));
            }
            else
            {
                builder.AddTask(id, "test/run", new JsonObject { ["n"] = ListLength(i) }, t => t.DependsOn(deps));
            }
        }
        var workflow = builder.Build();

        var finished = new ConcurrentDictionary<string, bool>();
        var running = new ConcurrentDictionary<string, int>();
        var maxRunning = new ConcurrentDictionary<string, int>();
        var violations = new ConcurrentQueue<string>();
        bool Done(string task) => expectedItems.TryGetValue(task, out var n)
            ? Enumerable.Range(0, n).All(k => finished.ContainsKey($"{task}[{k}]"))
            : finished.ContainsKey(task);
        var provider = new RecordingProvider(behaviour: async (inv, _) =>
        {
            var id = inv.TaskId;
            var owner = id.Contains('[', StringComparison.Ordinal) ? id[..id.IndexOf('[', StringComparison.Ordinal)] : id;
            foreach (var dep in dependencies[owner])
            {
                if (!Done(dep)) violations.Enqueue($"{id} started before {dep} finished");
            }
            var now = running.AddOrUpdate(owner, 1, (_, k) => k + 1);
            maxRunning.AddOrUpdate(owner, now, (_, k) => Math.Max(k, now));
            await Task.Yield();
            running.AddOrUpdate(owner, 0, (_, k) => k - 1);
            finished[id] = true;
            if (inv.Method == "test/item") return new JsonObject { ["item"] = inv.Parameters["item"]?.DeepClone(), ["index"] = inv.Parameters["index"]?.DeepClone() };
            var n = (int)inv.Parameters["n"]!;
            return new JsonObject { ["response"] = id, ["list"] = new JsonArray(Enumerable.Range(0, n).Select(k => (JsonNode?)JsonValue.Create($"{id}-{k}")).ToArray()) };
        });
        var registry = new ProviderRegistry();
        registry.Register(provider);
        await using var engine = new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { MaxConcurrency = random.Next(1, 8) }));

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.Message);
        Assert.That(violations, Is.Empty);
        var expectedCalls = workflow.Tasks.SelectMany(t => expectedItems.TryGetValue(t.Id, out var n) ? Enumerable.Range(0, n).Select(k => $"{t.Id}[{k}]") : [t.Id]);
        Assert.That(provider.Calls.Keys, Is.EquivalentTo(expectedCalls));
        Assert.That(provider.Calls.Values, Has.All.EqualTo(1), "every item exactly once");
        foreach (var (id, n) in expectedItems)
        {
            var result = run.GetResult(id)!;
            Assert.That((int)result["count"]!, Is.EqualTo(n), id);
            Assert.That(result["results"]!.AsArray().Select(r => (int)r!["index"]!), Is.EqualTo(Enumerable.Range(0, n)), $"{id}: results in order");
            Assert.That(run.Tasks.Keys.Count(k => k.StartsWith(id + "[", StringComparison.Ordinal)), Is.EqualTo(n), $"{id}: its items are in the run");
            if (bounds.TryGetValue(id, out var bound)) Assert.That(maxRunning.GetValueOrDefault(id), Is.LessThanOrEqualTo(bound), $"{id}: max_concurrency");
        }
    }
}
