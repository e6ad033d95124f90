using System.Reflection;
using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Cli.Tests;

/// <summary>LLM tasks against the Ollama test server (a real HTTP server on 127.0.0.1) and MCP tools of the test MCP server.</summary>
public sealed class ProviderRunTests
{
    private CliProcess _cli = null!;
    private OllamaTestServer _ollama = null!;

    [SetUp]
    public async Task SetUp()
    {
        _cli = new CliProcess();
        _ollama = await OllamaTestServer.StartAsync();
        _cli.Environment["GLEITZEIT_OLLAMA_URL"] = _ollama.BaseUri.ToString();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _ollama.DisposeAsync();
        _cli.Dispose();
    }

    [Test]
    public async Task Llm_workflow_runs_against_ollama_and_passes_results_on()
    {
        _ollama.Reply(r => r.Prompt is { } p && p.Contains("three-point", StringComparison.Ordinal) ? "1. Wheels 2. Pedals 3. Chains" : "Bicycles got better.");
        await _cli.RunAsync("init", "essay", "--type", "llm");

        var run = await _cli.RunAsync("run", "essay/workflow.yaml", "--input", "topic=bicycles", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var json = run.Json();
        RunTests.AssertRunShape(json, "essay", "completed", ["outline", "summary"]);
        Assert.That((string)json["tasks"]!["outline"]!["result"]!["response"]!, Is.EqualTo("1. Wheels 2. Pedals 3. Chains"));
        Assert.That((string)json["tasks"]!["summary"]!["result"]!["response"]!, Is.EqualTo("Bicycles got better."));
        var summaryRequest = _ollama.Requests.Last(r => r.Prompt?.Contains("Summarize", StringComparison.Ordinal) == true);
        Assert.That(summaryRequest.Prompt, Does.Contain("1. Wheels 2. Pedals 3. Chains"));
        Assert.That(_ollama.Requests.Any(r => r.Prompt?.Contains("bicycles", StringComparison.Ordinal) == true), Is.True, "--input reached the prompt");
    }

    [Test]
    public async Task Watch_prints_streamed_tokens_in_plain_output()
    {
        _ollama.Reply("one two three four");

        var run = await _cli.RunAsync("task", "submit", "llm/chat", "--prompt", "count", "--watch");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StdOut, Does.Contain("  task> one two three four"));
    }

    [Test]
    public async Task Task_submit_llm_uses_the_configured_default_model_and_messages()
    {
        var run = await _cli.RunAsync("task", "submit", "llm/chat", "--messages", "[{\"role\":\"user\",\"content\":\"echo me\"}]", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That((string)run.Json()["tasks"]!["task"]!["result"]!["response"]!, Is.EqualTo("echo me"));
        Assert.That(_ollama.Requests.Last().Model, Is.EqualTo("llama3.2:latest"));
    }

    [Test]
    public async Task A_model_that_is_not_installed_exits_4()
    {
        var run = await _cli.RunAsync("task", "submit", "llm/chat", "--model", "no-such-model", "--prompt", "hi");

        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StdErr, Does.Contain("no-such-model"));
    }

    [TestCase("server error", "PROVIDER_ERROR", "model runner crashed")]
    [TestCase("unauthorized", "PROVIDER_AUTHENTICATION_FAILED", "missing bearer token")]
    [TestCase("malformed json", "PROVIDER_INVALID_RESPONSE", "not valid")]
    public async Task A_provider_that_answers_with_an_error_is_not_reported_as_unreachable(string fault, string code, string shown)
    {
        _ollama.Fail(fault switch
        {
            "server error" => OllamaFault.ServerError("model runner crashed"),
            "unauthorized" => OllamaFault.Unauthorized("missing bearer token"),
            _ => OllamaFault.MalformedJson(),
        }, r => r.Path == "/api/chat");

        var run = await _cli.RunAsync("task", "submit", "llm/chat", "--prompt", "hi");

        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StdErr, Does.Contain(code).And.Contain(shown), run.ToString());
        Assert.That(run.StdErr, Does.Not.Contain("could not be reached").And.Not.Contain("Start Ollama"), run.ToString());
    }

    [Test]
    public async Task A_proxy_refusing_the_health_check_is_not_reported_as_ollama_not_running()
    {
        _ollama.Fail(OllamaFault.Unauthorized("missing bearer token"), _ => true);

        var run = await _cli.RunAsync("task", "submit", "llm/chat", "--prompt", "hi");

        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StdErr, Does.Contain("HTTP 401").And.Contain("credentials"), run.ToString());
        Assert.That(run.StdErr, Does.Not.Contain("Start Ollama"), run.ToString());
    }

    [Test]
    public async Task Ollama_not_reachable_exits_4_with_the_fix()
    {
        _cli.Environment["GLEITZEIT_OLLAMA_URL"] = "http://127.0.0.1:9/";
        await _cli.RunAsync("init", "essay", "--type", "llm");

        var run = await _cli.RunAsync("run", "essay/workflow.yaml");

        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StdErr, Does.Contain("ollama serve").And.Contain("GLEITZEIT_OLLAMA_URL"));
        Assert.That(run.StdErr, Does.Not.Contain("   at "));
    }

    [Test]
    public async Task System_status_reports_ollama_and_its_models()
    {
        var status = await _cli.RunAsync("system", "status", "--json");

        Assert.That(status.ExitCode, Is.EqualTo(0), status.ToString());
        var json = status.Json();
        Assert.That((bool)json["ollama"]!["reachable"]!, Is.True);
        Assert.That(json["ollama"]!["models"]!.AsArray().Select(m => (string)m!), Does.Contain("llama3.2:latest"));
        Assert.That(json["providers"]!.AsArray().Select(p => (string)p!["id"]!), Does.Contain("ollama").And.Contain("python"));
        Assert.That((string)json["store"]!["backend"]!, Is.EqualTo("sqlite"));
        Assert.That(json["recent_runs"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Mixed_template_runs_llm_python_llm()
    {
        _ollama.Reply(r => r.Prompt is { } p && p.Contains("random", StringComparison.Ordinal) ? "10, 20, 30" : "They are numbers.");
        await _cli.RunAsync("init", "mixed", "--type", "mixed");

        var run = await _cli.RunAsync("run", "mixed/workflow.yaml", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var json = run.Json();
        Assert.That((double)json["tasks"]!["stats"]!["result"]!["result"]!["mean"]!, Is.EqualTo(20));
        Assert.That((string)json["tasks"]!["explain"]!["result"]!["response"]!, Is.EqualTo("They are numbers."));
    }

    [Test]
    public async Task Mcp_tools_of_a_configured_server_run_as_tasks()
    {
        var server = typeof(ProviderRunTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "McpTestServer").Value!;
        Assert.That(File.Exists(server), Is.True, $"the test MCP server is built at {server}");
        _cli.WriteConfig($$"""
            persistence: { backend: sqlite }
            providers:
              mcp:
                servers:
                  tools: { command: dotnet, args: ["{{server}}"] }
            """);
        _cli.WriteFile("mcp.yaml", """
            name: mcp
            tasks:
              - id: sum
                method: mcp/tool.add
                parameters: { a: 20, b: 22 }
              - id: say
                method: tool.echo
                dependencies: [sum]
                parameters: { message: "the sum is ${sum.result}" }
            """);

        var run = await _cli.RunAsync("run", "mcp.yaml", "--json");
        var single = await _cli.RunAsync("task", "submit", "tool.echo", "--param", "message=hello", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That((string)run.Json()["tasks"]!["say"]!["result"]!["response"]!, Is.EqualTo("the sum is 42"));
        Assert.That(single.ExitCode, Is.EqualTo(0), single.ToString());
        Assert.That((string)single.Json()["tasks"]!["task"]!["result"]!["response"]!, Is.EqualTo("hello"));
    }
}
