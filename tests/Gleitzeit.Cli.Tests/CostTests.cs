using System.Text.Json.Nodes;

namespace Gleitzeit.Cli.Tests;

/// <summary>Cost control from the command line: the result cache across processes on one SQLite file, retry, dry run, budgets.</summary>
public sealed class CostTests
{
    private CliProcess _cli = null!;

    private const string Cached = """
        name: cached-python
        inputs: { n: 6 }
        tasks:
          - id: stamp
            method: python/execute
            cache: { ttl: 1h }
            params: { code: "import time\nresult = [time.time_ns(), ${inputs.n} * 7]" }
          - id: later
            method: python/execute
            dependencies: [stamp]
            params: { code: "import time\nresult = time.time_ns()" }
        """;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public async Task A_second_cli_process_on_the_same_sqlite_file_is_served_from_the_cache()
    {
        var file = _cli.WriteFile("cached.yaml", Cached);
        var first = await _cli.RunAsync("run", file, "--json");
        var second = await _cli.RunAsync("run", file, "--json");
        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString);
        Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString);
        var a = first.Json()["tasks"]!;
        var b = second.Json()["tasks"]!;

        Assert.That((bool)a["stamp"]!["cached"]!, Is.False);
        Assert.That((bool)b["stamp"]!["cached"]!, Is.True);
        Assert.That(b["stamp"]!["result"]!.ToJsonString(), Is.EqualTo(a["stamp"]!["result"]!.ToJsonString()), "the stored result, not a new call");
        Assert.That((bool)b["later"]!["cached"]!, Is.False, "python is cached only when the task asks");
        Assert.That((int)second.Json()["cached_tasks"]!, Is.EqualTo(1));

        var status = await _cli.RunAsync("workflow", "status", (string)second.Json()["workflow_id"]!, "--json");
        Assert.That((bool)status.Json()["tasks"]!["stamp"]!["cached"]!, Is.True, "stored with the run");
        var human = await _cli.RunAsync("workflow", "status", (string)second.Json()["workflow_id"]!);
        Assert.That(human.StdOut, Does.Contain("completed (cached)").And.Contain("1 task from the cache"));
    }

    [Test]
    public async Task A_changed_input_misses_and_no_cache_bypasses()
    {
        var file = _cli.WriteFile("cached.yaml", Cached);
        await _cli.RunAsync("run", file);
        var other = await _cli.RunAsync("run", file, "--input", "n=7", "--json");
        var bypass = await _cli.RunAsync("run", file, "--no-cache", "--json");

        Assert.That((bool)other.Json()["tasks"]!["stamp"]!["cached"]!, Is.False, other.ToString);
        Assert.That((int)other.Json()["tasks"]!["stamp"]!["result"]!["result"]![1]!, Is.EqualTo(49));
        Assert.That((bool)bypass.Json()["tasks"]!["stamp"]!["cached"]!, Is.False, bypass.ToString);
    }

    [Test]
    public async Task Cache_stats_and_clear_by_workflow()
    {
        var file = _cli.WriteFile("cached.yaml", Cached);
        await _cli.RunAsync("run", file);
        await _cli.RunAsync("run", _cli.WriteFile("other.yaml", Cached.Replace("cached-python", "other")));

        var stats = (await _cli.RunAsync("cache", "stats", "--json")).Json();
        Assert.That((long)stats["entries"]!, Is.EqualTo(1), "both workflows make the same call: one entry, stored by the latest");
        var cleared = await _cli.RunAsync("cache", "clear", "--workflow", "nope", "--json");
        Assert.That((long)cleared.Json()["removed"]!, Is.Zero);
        var all = await _cli.RunAsync("cache", "clear");
        Assert.That(all.StdOut, Does.Contain("Removed 1 cache entry"));
        Assert.That((long)(await _cli.RunAsync("cache", "stats", "--json")).Json()["entries"]!, Is.Zero);
    }

    [Test]
    public async Task Retry_from_a_task_with_an_edited_file_keeps_upstream_results_and_links_the_runs()
    {
        const string chain = """
            name: chain
            tasks:
              - { id: a, method: python/execute, params: { code: "import time\nresult = time.time_ns()" } }
              - { id: b, method: python/execute, dependencies: [a], params: { code: "result = ${a.result} % 1000" } }
              - { id: c, method: python/execute, dependencies: [b], params: { code: "result = 'first'" } }
              - { id: side, method: python/execute, params: { code: "import time\nresult = time.time_ns()" } }
            """;
        var file = _cli.WriteFile("chain.yaml", chain);
        var first = await _cli.RunAsync("run", file, "--json");
        var firstId = (string)first.Json()["workflow_id"]!;
        var edited = _cli.WriteFile("chain2.yaml", chain.Replace("'first'", "'second'"));

        var retry = await _cli.RunAsync("workflow", "retry", firstId, "--from", "b", "--file", edited, "--json");
        Assert.That(retry.ExitCode, Is.EqualTo(0), retry.ToString);
        var json = retry.Json();
        Assert.That((string?)json["retry_of"], Is.EqualTo(firstId));
        Assert.That((string)json["workflow_id"]!, Is.Not.EqualTo(firstId));
        Assert.That(json["tasks"]!["a"]!["result"]!.ToJsonString(), Is.EqualTo(first.Json()["tasks"]!["a"]!["result"]!.ToJsonString()));
        Assert.That(json["tasks"]!["side"]!["result"]!.ToJsonString(), Is.EqualTo(first.Json()["tasks"]!["side"]!["result"]!.ToJsonString()));
        Assert.That((string)json["tasks"]!["c"]!["result"]!["result"]!, Is.EqualTo("second"));

        var status = await _cli.RunAsync("workflow", "status", (string)json["workflow_id"]!, "--json");
        Assert.That((string?)status.Json()["retry_of"], Is.EqualTo(firstId), "the link is stored");
        var human = await _cli.RunAsync("workflow", "retry", firstId);
        Assert.That(human.StdOut, Does.Contain($"retry of run {firstId}"));
    }

    [Test]
    public async Task Retry_from_an_unknown_task_suggests_the_nearest()
    {
        var file = _cli.WriteFile("cached.yaml", Cached);
        var first = await _cli.RunAsync("run", file, "--json");
        var retry = await _cli.RunAsync("workflow", "retry", (string)first.Json()["workflow_id"]!, "--from", "stmp");

        Assert.That(retry.ExitCode, Is.Not.EqualTo(0));
        Assert.That(retry.StdErr, Does.Contain("no task 'stmp'").And.Contain("did you mean 'stamp'?"));
        Assert.That(retry.StdErr, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public async Task Dry_run_prints_the_plan_and_runs_nothing()
    {
        var file = _cli.WriteFile("plan.yaml", """
            name: plan
            budget: { max_llm_calls: 2 }
            tasks:
              - { id: summary, method: llm/chat, dependencies: [stamp], params: { model: llama3.2, prompt: "sum ${stamp.result}" } }
              - { id: stamp, method: python/execute, cache: true, params: { code: "result = 1" } }
              - { id: title, method: llm/generate, cache: true, params: { model: llama3.2, prompt: "a title" } }
              - { id: vision, method: llm/chat, params: { model: other, prompt: hi } }
            """);
        await _cli.RunAsync("run", _cli.WriteFile("warm.yaml", "name: warm\ntasks:\n  - { id: s, method: python/execute, cache: true, params: { code: \"result = 1\" } }\n"));

        var plan = await _cli.RunAsync("run", file, "--dry-run", "--json");
        Assert.That(plan.ExitCode, Is.EqualTo(0), plan.ToString);
        var json = plan.Json();
        Assert.That(json["tasks"]!.AsArray().Select(t => (string)t!["id"]!), Is.EqualTo(new[] { "stamp", "summary", "title", "vision" }));
        Assert.That((string)json["tasks"]![0]!["cache"]!, Is.EqualTo("hit"), "the same call was cached by the warm-up run");
        Assert.That((string)json["tasks"]![1]!["cache"]!, Is.EqualTo("off"));
        Assert.That((string)json["tasks"]![2]!["cache"]!, Is.EqualTo("miss"));
        Assert.That((int)json["expected_llm_calls"]!, Is.EqualTo(3));
        Assert.That((int)json["expected_cache_hits"]!, Is.EqualTo(1));
        Assert.That(json["llm_calls"]!.ToJsonString(), Does.Contain("\"model\":\"llama3.2\",\"calls\":2").And.Contain("\"model\":\"other\",\"calls\":1"));
        Assert.That((bool)json["budget"]!["calls_within_budget"]!, Is.False);
        Assert.That((await _cli.RunAsync("workflow", "list", "--json")).Json()["runs"]!.AsArray().Count, Is.EqualTo(1), "only the warm-up run exists");

        var human = await _cli.RunAsync("run", file, "--dry-run");
        Assert.That(human.StdOut, Does.Contain("Dry run of plan: 4 tasks, nothing is run").And.Contain("2 × ollama/llama3.2").And.Contain("the run will stop at 2"));
    }

    [TestCase("budget: { max_tokens: 0 }", "budget.max_tokens' must be a positive number of tokens, got 0", 2)]
    [TestCase("cache: { ttl: forever }", "'cache.ttl' must be a positive duration", 2)]
    public async Task Bad_cost_settings_in_a_file_are_located_errors(string line, string message, int lineNumber)
    {
        var file = _cli.WriteFile("bad.yaml", $"name: bad\n{line}\ntasks:\n  - {{ id: t, method: python/execute, params: {{ code: \"result = 1\" }} }}\n");
        var result = await _cli.RunAsync("run", file);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString);
        Assert.That(result.StdErr, Does.Contain(message).And.Contain($"bad.yaml:{lineNumber}:"));
    }

    [TestCase("0")]
    [TestCase("-5")]
    public async Task A_max_tokens_of_zero_or_less_is_refused(string value)
    {
        var file = _cli.WriteFile("cached.yaml", Cached);
        var result = await _cli.RunAsync("run", file, "--max-tokens", value);
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.StdErr, Does.Contain($"--max-tokens must be a positive number of tokens, got {value}"));
    }

    [Test]
    public async Task A_rate_limit_of_zero_in_the_configuration_is_refused_and_a_valid_one_is_shown()
    {
        var file = _cli.WriteFile("cached.yaml", Cached);
        _cli.WriteConfig("persistence:\n  backend: sqlite\nproviders:\n  ollama:\n    rate_limit: { requests_per_minute: 0 }\n");
        var refused = await _cli.RunAsync("run", file);
        Assert.That(refused.ExitCode, Is.EqualTo(2), refused.ToString);
        Assert.That(refused.StdErr, Does.Contain("providers.ollama.rate_limit.requests_per_minute must be a whole number of at least 1, got '0'"));

        _cli.WriteConfig("persistence:\n  backend: sqlite\nproviders:\n  ollama:\n    rate_limit: { requests_per_minute: 30, tokens_per_minute: 1000 }\n");
        var config = await _cli.RunAsync("config");
        Assert.That(config.StdOut, Does.Contain("providers.ollama.rate_limit.requests_per_minute").And.Contain("30"));
        Assert.That((await _cli.RunAsync("run", file)).ExitCode, Is.EqualTo(0), "python tasks run whatever Ollama's limits are");
    }
}
