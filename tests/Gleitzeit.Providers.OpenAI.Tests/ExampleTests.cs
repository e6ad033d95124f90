using System.Reflection;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.Mcp;
using Gleitzeit.TestServers.Ollama;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Providers.OpenAI.Tests;

/// <summary>examples/structured_output.yaml and examples/agent_with_tools.yaml run as written, against the Ollama-API test server, python3 and server-everything.</summary>
public sealed class ExampleTests
{
    private OllamaTestServer _ollama = null!;
    private ServiceProvider _services = null!;

    private static string Root => typeof(ExampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    [SetUp]
    public async Task SetUp()
    {
        _ollama = await OllamaTestServer.StartAsync();
        var services = new ServiceCollection();
        services.AddGleitzeit()
            .AddOllama(o => o.Endpoint = _ollama.BaseUri)
            .AddPython()
            .AddMcp(o => o.Servers["everything"] = new McpServerOptions
            {
                Command = "node",
                Arguments = [Path.Combine(Root, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js"), "stdio"],
            });
        _services = services.BuildServiceProvider();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _services.DisposeAsync();
        await _ollama.DisposeAsync();
    }

    private Task<Core.WorkflowRun> RunAsync(string file) =>
        _services.GetRequiredService<ExecutionEngine>().RunAsync(
            WorkflowLoader.LoadFile(Path.Combine(Root, "examples", file), registry: _services.GetRequiredService<ProviderRegistry>()));

    [Test]
    public async Task Structured_output_example_passes_typed_fields_downstream()
    {
        var run = (await RunAsync("structured_output.yaml")).EnsureSucceeded();

        Assert.That(_ollama.RequestsTo("/api/chat")[0].Format!["required"]!.ToJsonString(), Is.EqualTo("""["title","sections"]"""));
        Assert.That(run.GetResult("count")!["result"]!.ToJsonString(), Is.EqualTo("""{"title":"text","sections":3}"""));
        Assert.That(_ollama.RequestsTo("/api/chat")[1].Prompt, Does.Contain("titled 'text' whose first section is 'text'"));
    }

    [Test]
    public async Task Agent_example_calls_get_sum_on_server_everything_and_reports_the_calls()
    {
        _ollama.CallTools(r => r.ToolResults.Count == 0 ? [new OllamaToolCall("get-sum", new JsonObject { ["a"] = 1234, ["b"] = 5678 })] : null);
        _ollama.Reply(r => "The answer: " + r.ToolResults.LastOrDefault());

        var run = (await RunAsync("agent_with_tools.yaml")).EnsureSucceeded();

        var report = run.GetResult("report")!["result"]!;
        // OllamaSharp sends a tool's result to the model as {"CallId", "Result"}; the model read the real tool's answer.
        Assert.That((string?)report["answer"], Does.StartWith("The answer: ").And.Contain("The sum of 1234 and 5678 is 6912."));
        Assert.That(report["tools_called"]!.ToJsonString(), Is.EqualTo("""["get-sum"]"""));
        Assert.That((int?)report["tokens"], Is.GreaterThan(0));
        Assert.That(_ollama.RequestsTo("/api/chat")[0].Tools, Is.EqualTo(new[] { "get-sum", "echo" }));
    }
}
