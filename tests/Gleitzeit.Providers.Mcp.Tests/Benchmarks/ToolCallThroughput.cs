using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Gleitzeit.Providers.Mcp.Tests.Benchmarks;

/// <summary>
/// Tool calls per second over one stdio session, through <see cref="McpProvider.ExecuteAsync"/> (argument validation,
/// result mapping and all). Explicit: run with <c>dotnet test --filter "FullyQualifiedName~ToolCallThroughput"</c>;
/// it prints figures and asserts only that every call succeeded (machines are noisy: no timing assertions).
/// </summary>
[TestFixture]
[Explicit("benchmark: prints calls per second")]
public sealed class ToolCallThroughput
{
    private readonly List<McpProvider> _providers = [];

    [TearDown]
    public async Task DisposeProviders()
    {
        foreach (var p in _providers) await p.DisposeAsync();
        _providers.Clear();
    }

    [TestCase("dotnet test server", 1)]
    [TestCase("dotnet test server", 8)]
    [TestCase("server-everything", 1)]
    [TestCase("server-everything", 8)]
    public async Task Echo_calls_per_second(string server, int inFlight)
    {
        var options = new McpOptions();
        var serverOptions = server == "server-everything" ? TestServers.Everything() : TestServers.Ours();
        serverOptions.MaxConcurrency = inFlight;
        options.Servers["bench"] = serverOptions;
        var provider = new McpProvider(options);
        _providers.Add(provider);
        await RunAsync(provider, 500, inFlight); // warm up: start the server, JIT, tool list cached

        const int calls = 5000;
        var stopwatch = Stopwatch.StartNew();
        await RunAsync(provider, calls, inFlight);
        stopwatch.Stop();

        var perSecond = calls / stopwatch.Elapsed.TotalSeconds;
        await TestContext.Out.WriteLineAsync($"{server}, {inFlight} in flight: {calls} tool.echo calls in {stopwatch.Elapsed.TotalMilliseconds:0} ms = {perSecond:0} calls/s ({stopwatch.Elapsed.TotalMilliseconds * 1000 / calls:0} µs per call)");
    }

    private static async Task RunAsync(McpProvider provider, int calls, int inFlight)
    {
        var next = -1;
        var workers = Enumerable.Range(0, inFlight).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < calls)
            {
                var result = await provider.ExecuteAsync(TestServers.Invocation("tool.echo", new JsonObject { ["message"] = "ping" }), CancellationToken.None);
                Assert.That((string?)result!["response"], Does.EndWith("ping"));
            }
        });
        await Task.WhenAll(workers);
    }
}
