using Gleitzeit.TestServers.OpenAI;

namespace Gleitzeit.Cli.Tests;

/// <summary>The openai provider configured by GLEITZEIT_OPENAI_URL / GLEITZEIT_OPENAI_API_KEY, against the OpenAI-API test server.</summary>
public class OpenAICliTests
{
    private const string Key = "sk-cli-secret";
    private CliProcess _cli = null!;
    private OpenAITestServer _server = null!;

    [SetUp]
    public async Task SetUp()
    {
        _server = await OpenAITestServer.StartAsync(apiKey: Key);
        _cli = new CliProcess();
        _cli.Environment["GLEITZEIT_OPENAI_URL"] = _server.BaseUri.ToString();
        _cli.Environment["GLEITZEIT_OPENAI_API_KEY"] = Key;
    }

    [TearDown]
    public async Task TearDown()
    {
        _cli.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Task_submit_with_provider_openai_runs_there_and_usage_reaches_json_and_stats()
    {
        _server.Reply("four words of answer");

        var list = await _cli.RunAsync("provider", "list", "--json");
        var run = await _cli.RunAsync("task", "submit", "llm/chat", "--provider", "openai", "--prompt", "Say four words", "--json");
        var stats = await _cli.RunAsync("backend", "get-stats", "--json");

        Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
        var openai = list.Json()["providers"]!.AsArray().Single(p => (string)p!["id"]! == "openai")!;
        Assert.That(openai["models"]!.AsArray().Select(m => (string)m!), Does.Contain("gpt-*"));
        Assert.That((string?)openai["default_model"], Is.EqualTo("gpt-4o-mini"));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(_server.ChatRequests.Single().Authorization, Is.EqualTo("Bearer " + Key));
        var usage = run.Json()["usage"]!;
        Assert.That((long)usage["total_tokens"]!, Is.GreaterThan(0));
        Assert.That((int)usage["by_model"]!["gpt-4o-mini"]!["calls"]!, Is.EqualTo(1));
        Assert.That(stats.ExitCode, Is.EqualTo(0), stats.ToString());
        Assert.That((long)stats.Json()["tokens"]!["by_model"]!["gpt-4o-mini"]!["total_tokens"]!, Is.EqualTo((long)usage["total_tokens"]!));
        foreach (var output in new[] { list, run, stats }) Assert.That(output.ToString(), Does.Not.Contain(Key), "the key is never printed");
    }

    [Test]
    public async Task A_refused_key_is_reported_by_provider_health_with_exit_4()
    {
        _cli.Environment["GLEITZEIT_OPENAI_API_KEY"] = "sk-wrong";

        var health = await _cli.RunAsync("provider", "health", "openai");

        Assert.That(health.ExitCode, Is.EqualTo(4), health.ToString());
        Assert.That(health.ToString(), Does.Contain("authentication failed").And.Not.Contain("sk-wrong"));
    }
}
