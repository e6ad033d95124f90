using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core;

namespace Gleitzeit.Providers.Mcp.Tests.Sessions;

/// <summary>Our test server over Streamable HTTP on 127.0.0.1.</summary>
[TestFixture]
public sealed class StreamableHttpTests
{
    private Process _server = null!;
    private McpProvider _provider = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        var start = new ProcessStartInfo(TestServers.DotNet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(TestServers.OurServerDll);
        start.ArgumentList.Add("--http");
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add("0");
        _server = Process.Start(start)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line;
        do
        {
            line = await _server.StandardOutput.ReadLineAsync(cts.Token);
        }
        while (line is not null && !line.StartsWith("listening ", StringComparison.Ordinal));
        if (line is null) Assert.Fail("the HTTP test server exited: " + await _server.StandardError.ReadToEndAsync(cts.Token));
        var url = line!["listening ".Length..].Split(' ')[0];
        var options = new McpOptions();
        options.Servers["web"] = new McpServerOptions { Endpoint = new Uri(url.TrimEnd('/') + "/mcp") };
        _provider = new McpProvider(options);
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _provider.DisposeAsync();
        _server.Kill(entireProcessTree: true);
        await _server.WaitForExitAsync();
        _server.Dispose();
    }

    [Test]
    public async Task Tools_work_over_http()
    {
        var sum = (JsonObject)(await _provider.ExecuteAsync(TestServers.Invocation("tool.add", new JsonObject { ["a"] = 100, ["b"] = 23 }), CancellationToken.None))!;
        var echo = (JsonObject)(await _provider.ExecuteAsync(TestServers.Invocation("mcp/tool.echo", new JsonObject { ["message"] = "over http" }), CancellationToken.None))!;

        Assert.That((double)sum["result"]!, Is.EqualTo(123));
        Assert.That((string?)echo["response"], Is.EqualTo("over http"));
        Assert.That((string?)echo["server"], Is.EqualTo("web"));
    }

    [Test]
    public async Task Health_is_healthy_over_http()
    {
        var health = await _provider.CheckHealthAsync(CancellationToken.None);

        Assert.That(health.Status, Is.EqualTo(Core.Protocol.ProviderHealthStatus.Healthy), health.Message);
        Assert.That((string?)health.Details!["servers"]!["web"]!["transport"], Does.StartWith("http: http://127.0.0.1:"));
    }

    [Test]
    public async Task A_tool_error_over_http_fails_with_the_servers_message()
    {
        var ex = (await Assert.ThrowsAsync<GleitzeitException>(async () =>
            await _provider.ExecuteAsync(TestServers.Invocation("tool.fail", new JsonObject { ["message"] = "quota exceeded" }), CancellationToken.None)))!;

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That(ex.Message, Does.Contain("quota exceeded"));
    }
}
