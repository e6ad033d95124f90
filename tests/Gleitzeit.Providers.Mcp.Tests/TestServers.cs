using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Providers.Mcp.Tests;

/// <summary>Where the real MCP servers of the tests are: our own test server (dotnet) and the npm ones (node).</summary>
internal static class TestServers
{
    private static string Metadata(string key) =>
        typeof(TestServers).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    public static string OurServerDll
    {
        get
        {
            var path = Metadata("McpTestServer");
            if (!File.Exists(path)) Assert.Fail($"The test MCP server is not built at {path}: build tests/Gleitzeit.Testing.McpServer.");
            return path;
        }
    }

    /// <summary>The dotnet host running the tests (dotnet test sets DOTNET_HOST_PATH).</summary>
    public static string DotNet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    public static McpServerOptions Ours(params string[] extraArguments) => new() { Command = DotNet, Arguments = [OurServerDll, .. extraArguments] };

    public static McpServerOptions Everything() => Node("server-everything", "stdio");

    public static McpServerOptions Filesystem(string allowedDirectory) => Node("server-filesystem", allowedDirectory);

    private static McpServerOptions Node(string package, params string[] arguments)
    {
        var script = Path.Combine(RepositoryRoot, "node_modules", "@modelcontextprotocol", package, "dist", "index.js");
        if (!File.Exists(script)) Assert.Fail($"{script} is missing: run `npm ci` in the repository root ({RepositoryRoot}).");
        return new McpServerOptions { Command = "node", Arguments = [script, .. arguments] };
    }

    public static TaskInvocation Invocation(string method, JsonObject? parameters = null, string? provider = null, string taskId = "t1") =>
        new(new JsonRpcRequest(method, parameters ?? new JsonObject(), JsonValue.Create(taskId)), "wf", taskId) { Provider = provider };

    /// <summary>Whether the process is gone (waits for it up to a generous bound: machines are noisy).</summary>
    public static async Task<bool> HasExitedAsync(int pid)
    {
        Process process;
        try
        {
            process = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return true;
        }
        using (process)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(cts.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }
}
