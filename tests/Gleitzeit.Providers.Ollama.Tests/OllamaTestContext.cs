using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;
using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Providers.Ollama.Tests;

/// <summary>One test server and one provider pointed at it, per test.</summary>
public abstract class OllamaTestContext
{
    protected OllamaTestServer Server { get; private set; } = null!;

    protected OllamaProvider Provider { get; private set; } = null!;

    protected string WorkDirectory { get; private set; } = null!;

    [SetUp]
    public async Task StartServerAsync()
    {
        Server = await OllamaTestServer.StartAsync();
        Provider = new OllamaProvider(new OllamaOptions { Endpoint = Server.BaseUri });
        WorkDirectory = Directory.CreateTempSubdirectory("gleitzeit-ollama-").FullName;
    }

    [TearDown]
    public async Task StopServerAsync()
    {
        await Provider.DisposeAsync();
        await Server.DisposeAsync();
        Directory.Delete(WorkDirectory, recursive: true);
    }

    protected async Task<JsonObject> InvokeAsync(string method, JsonObject parameters, Action<TaskProgressUpdate>? progress = null, OllamaProvider? provider = null)
    {
        var invocation = new TaskInvocation(new JsonRpcRequest(method, parameters, "t1"), "wf", "t1", 1, progress) { BaseDirectory = WorkDirectory };
        var result = await (provider ?? Provider).ExecuteAsync(invocation, CancellationToken.None);
        return result!.AsObject();
    }

    protected static JsonArray UserMessage(string text) => new(new JsonObject { ["role"] = "user", ["content"] = text });
}
