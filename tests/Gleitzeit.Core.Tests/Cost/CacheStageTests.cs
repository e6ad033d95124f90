using System.Text.Json.Nodes;
using Gleitzeit.Core.Cost;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Core.Tests.Cost;

public class CacheStageTests
{
    private const string Cached = """
        name: cached
        tasks:
          - id: ask
            method: llm/chat
            cache: { ttl: 1h }
            params: { prompt: "${inputs.topic}" }
        inputs: { topic: solar }
        """;

    [Test]
    public async Task A_second_run_is_served_from_the_cache_with_cached_true_and_an_event()
    {
        await using var h = new CostHarness();
        var workflow = h.Load(Cached);
        var first = (await h.Engine.RunAsync(workflow)).EnsureSucceeded();
        var events = new List<WorkflowEvent>();
        var second = (await h.Engine.RunAsync(workflow, new RunOptions { OnEvent = e => { lock (events) events.Add(e); } })).EnsureSucceeded();

        Assert.That(h.Client.Calls, Is.EqualTo(1));
        Assert.That(first.Tasks["ask"].Cached, Is.False);
        Assert.That(second.Tasks["ask"].Cached, Is.True);
        Assert.That(second.GetResult("ask")!.ToJsonString(), Is.EqualTo(first.GetResult("ask")!.ToJsonString()));
        var hit = events.OfType<TaskCacheHit>().Single();
        Assert.That(hit.TaskId, Is.EqualTo("ask"));
        Assert.That(events.IndexOf(hit), Is.LessThan(events.FindIndex(e => e is TaskCompleted)));
        var stored = await h.Engine.Store.GetRunAsync(second.WorkflowId);
        Assert.That(stored!.Tasks["ask"].Cached, Is.True, "the flag is stored with the task");
    }

    [Test]
    public async Task A_changed_parameter_misses_the_cache()
    {
        await using var h = new CostHarness();
        var workflow = h.Load(Cached);
        await h.Engine.RunAsync(workflow);
        var other = await h.Engine.RunAsync(workflow, new RunOptions { Inputs = new Dictionary<string, JsonNode?> { ["topic"] = "wind" } });

        Assert.That(other.Tasks["ask"].Cached, Is.False);
        Assert.That(h.Client.Calls, Is.EqualTo(2));
        Assert.That(h.Client.Prompts, Is.EqualTo(new[] { "solar", "wind" }));
    }

    [Test]
    public async Task An_entry_expires_after_its_ttl_on_the_fake_clock()
    {
        await using var h = new CostHarness();
        var workflow = h.Load(Cached);
        await h.Engine.RunAsync(workflow);
        h.Time.Advance(TimeSpan.FromMinutes(59));
        var within = await h.Engine.RunAsync(workflow);
        h.Time.Advance(TimeSpan.FromMinutes(2));
        var after = await h.Engine.RunAsync(workflow);

        Assert.That(within.Tasks["ask"].Cached, Is.True);
        Assert.That(after.Tasks["ask"].Cached, Is.False);
        Assert.That(h.Client.Calls, Is.EqualTo(2));
    }

    [Test]
    public async Task A_failure_is_never_cached()
    {
        await using var h = new CostHarness();
        var workflow = h.Load(Cached);
        h.Client.Failure = new InvalidOperationException("model exploded");
        var failed = await h.Engine.RunAsync(workflow);
        h.Client.Failure = null;
        var ok = await h.Engine.RunAsync(workflow);

        Assert.That(failed.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(ok.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(ok.Tasks["ask"].Cached, Is.False);
        Assert.That(h.Client.Calls, Is.EqualTo(2));
    }

    [Test]
    public async Task The_workflow_default_caches_llm_tasks_but_python_only_when_the_task_asks()
    {
        await using var h = new CostHarness();
        var workflow = h.Load("""
            name: defaults
            cache: true
            tasks:
              - { id: ask, method: llm/chat, params: { prompt: hi } }
              - { id: code, method: python/execute, params: { value: 1 } }
              - { id: code_cached, method: python/execute, cache: true, params: { value: 2 } }
              - { id: opted_out, method: llm/chat, cache: false, params: { prompt: again } }
            """);
        await h.Engine.RunAsync(workflow);
        var second = await h.Engine.RunAsync(workflow);

        Assert.That(second.Tasks["ask"].Cached, Is.True);
        Assert.That(second.Tasks["code"].Cached, Is.False);
        Assert.That(second.Tasks["code_cached"].Cached, Is.True);
        Assert.That(second.Tasks["opted_out"].Cached, Is.False);
        Assert.That(h.PythonCalls, Is.EqualTo(3), "code twice, code_cached once");
        Assert.That(h.Client.Calls, Is.EqualTo(3), "ask once, opted_out twice");
    }

    [Test]
    public async Task NoCache_neither_reads_nor_writes_the_cache()
    {
        await using var h = new CostHarness();
        var workflow = h.Load(Cached);
        await h.Engine.RunAsync(workflow, new RunOptions { NoCache = true });
        var cache = h.Services.GetRequiredService<ITaskResultCache>();
        var empty = await cache.GetStatisticsAsync(null, h.Time.GetUtcNow());
        await h.Engine.RunAsync(workflow);
        var bypassed = await h.Engine.RunAsync(workflow, new RunOptions { NoCache = true });

        Assert.That(empty.Entries, Is.Zero);
        Assert.That(bypassed.Tasks["ask"].Cached, Is.False);
        Assert.That(h.Client.Calls, Is.EqualTo(3));
    }

    [Test]
    public async Task Stats_and_clear_by_workflow_name()
    {
        await using var h = new CostHarness();
        await h.Engine.RunAsync(h.Load(Cached));
        await h.Engine.RunAsync(h.Load(Cached.Replace("name: cached", "name: other").Replace("${inputs.topic}", "x")));
        var cache = h.Services.GetRequiredService<ITaskResultCache>();

        var all = await cache.GetStatisticsAsync(null, h.Time.GetUtcNow());
        Assert.That(all.Entries, Is.EqualTo(2));
        Assert.That(all.ByWorkflow.Keys, Is.EquivalentTo(new[] { "cached", "other" }));
        Assert.That(await cache.ClearAsync("other"), Is.EqualTo(1));
        Assert.That((await cache.GetStatisticsAsync(null, h.Time.GetUtcNow())).Entries, Is.EqualTo(1));
        Assert.That(await cache.ClearAsync(null), Is.EqualTo(1));
    }

    [Test]
    public void The_key_ignores_key_order_and_changes_with_model_provider_and_values()
    {
        var a = JsonNode.Parse("""{"prompt":"p","options":{"x":1,"y":2}}""")!.AsObject();
        var b = JsonNode.Parse("""{"options":{"y":2,"x":1},"prompt":"p"}""")!.AsObject();
        var key = TaskCacheKey.Compute("llm/v1", "llm/chat", a, "ollama", "m1");

        Assert.That(TaskCacheKey.Compute("llm/v1", "llm/chat", b, "ollama", "m1"), Is.EqualTo(key));
        Assert.That(TaskCacheKey.Compute("llm/v1", "llm/chat", a, "ollama", "m2"), Is.Not.EqualTo(key));
        Assert.That(TaskCacheKey.Compute("llm/v1", "llm/chat", a, "openai", "m1"), Is.Not.EqualTo(key));
        Assert.That(TaskCacheKey.Compute("llm/v1", "llm/generate", a, "ollama", "m1"), Is.Not.EqualTo(key));
        Assert.That(TaskCacheKey.Compute("llm/v1", "llm/chat", JsonNode.Parse("""{"prompt":"q","options":{"x":1,"y":2}}""")!.AsObject(), "ollama", "m1"), Is.Not.EqualTo(key));
        Assert.That(key, Does.Match("^[0-9a-f]{64}$"));
    }

    [Test]
    public async Task The_default_model_of_the_provider_is_part_of_the_key()
    {
        await using var h = new CostHarness();
        var (registration, _) = h.Engine.Registry.Resolve(h.Load(Cached).Tasks[0]);
        Assert.That(TaskCacheKey.ModelOf("llm/chat", new JsonObject(), registration.Provider), Is.EqualTo("fake-model"));
        Assert.That(TaskCacheKey.ModelOf("llm/chat", new JsonObject { ["model"] = "named" }, registration.Provider), Is.EqualTo("named"));
    }

    [TestCase("cache: { ttl: soon }", "cache.ttl", 5)]
    [TestCase("cache: { ttl: -5m }", "cache.ttl", 5)]
    [TestCase("cache: { ttl: 0 }", "cache.ttl", 5)]
    [TestCase("cache: maybe", "'cache' must be true, false", 5)]
    [TestCase("cache: { tll: 1h }", "did you mean 'ttl'", 5)]
    public void Bad_cache_settings_are_located_errors(string line, string message, int lineNumber)
    {
        var yaml = $$"""
            name: bad
            tasks:
              - id: ask
                method: llm/chat
                {{line}}
                params: { prompt: hi }
            """;
        var ex = Assert.Throws<WorkflowValidationException>(() => WorkflowLoader.Parse(yaml, sourceName: "bad.yaml"))!;
        var error = ex.Errors.Single();
        Assert.That(error.Message, Does.Contain(message));
        Assert.That(error.Location?.Line, Is.EqualTo(lineNumber));
        Assert.That(error.TaskId, Is.EqualTo("ask"));
    }

    [Test]
    public void Durations_parse_in_every_unit()
    {
        Assert.That(Gleitzeit.Core.Definitions.Reading.CostFields.ParseDuration("90"), Is.EqualTo(TimeSpan.FromSeconds(90)));
        Assert.That(Gleitzeit.Core.Definitions.Reading.CostFields.ParseDuration("30m"), Is.EqualTo(TimeSpan.FromMinutes(30)));
        Assert.That(Gleitzeit.Core.Definitions.Reading.CostFields.ParseDuration("1.5h"), Is.EqualTo(TimeSpan.FromMinutes(90)));
        Assert.That(Gleitzeit.Core.Definitions.Reading.CostFields.ParseDuration("7d"), Is.EqualTo(TimeSpan.FromDays(7)));
        Assert.That(Gleitzeit.Core.Definitions.Reading.CostFields.ParseDuration("1w"), Is.Null);
    }
}
