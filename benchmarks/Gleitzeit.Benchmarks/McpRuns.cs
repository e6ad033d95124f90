using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Providers.Mcp;

namespace Gleitzeit.Benchmarks;

/// <summary>MCP tool calls over one stdio session to tests/Gleitzeit.Testing.McpServer (built in Release first).</summary>
internal static class McpRuns
{
    public static async Task MeasureAsync(Report report, bool quick)
    {
        var dll = FindServer();
        if (dll is null)
        {
            report.Note("MCP: skipped — build the test server first: dotnet build -c Release tests/Gleitzeit.Testing.McpServer");
            return;
        }
        var options = new McpOptions();
        options.Servers["test"] = new McpServerOptions { Command = "dotnet", Arguments = [dll], MaxConcurrency = 8 };
        var provider = new McpProvider(options);
        await using var _ = provider;
        var count = quick ? 500 : 2_000;
        var tasks = Enumerable.Range(0, count).Select(i => new WorkflowTask
        {
            Id = "m" + i, Protocol = "mcp/v1", Method = "mcp/tool.echo", Parameters = new JsonObject { ["message"] = "hello " + i },
        }).ToArray();
        var workflow = new Workflow { Name = "mcp-echo", Tasks = tasks };
        var engine = GleitzeitRuns.Engine(provider: provider, maxConcurrency: 8);
        try
        {
            var s = await Macro.RunAsync(1, quick ? 2 : 3, count, () => GleitzeitRuns.RunAsync(engine, workflow));
            report.Add("5 providers", $"MCP echo x{count}, one stdio session, 8 in flight", s);
            report.Target("MCP >= 1,000 calls/s", s.UnitsPerSecond >= 1_000, $"{s.UnitsPerSecond:N0}/s");
        }
        finally { await engine.DisposeAsync(); }
    }

    private static string? FindServer()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            foreach (var config in new[] { "Release", "Debug" })
            {
                var candidate = Path.Combine(d.FullName, "tests", "Gleitzeit.Testing.McpServer", "bin", config, "net10.0", "Gleitzeit.Testing.McpServer.dll");
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
