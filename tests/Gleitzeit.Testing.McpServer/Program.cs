using System.ComponentModel;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

// A small MCP server for tests and samples: the tools the original Gleitzeit examples call (echo, add, multiply,
// concat) plus a few that let tests provoke failures. stdio by default; `--http --port N` serves Streamable HTTP
// on 127.0.0.1:N at path /mcp.
var http = args.Contains("--http");
var portIndex = Array.IndexOf(args, "--port");
var port = portIndex >= 0 && portIndex + 1 < args.Length ? int.Parse(args[portIndex + 1], CultureInfo.InvariantCulture) : 0;

if (http)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
    builder.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "gleitzeit-test-server", Version = "1.0.0" })
        .WithHttpTransport()
        .WithTools<TestTools>();
    var app = builder.Build();
    app.MapMcp("/mcp");
    await app.StartAsync().ConfigureAwait(false);
    // Tell the parent which port was bound (port 0 picks a free one).
    Console.WriteLine($"listening {string.Join(' ', app.Urls)}");
    await app.WaitForShutdownAsync().ConfigureAwait(false);
}
else
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "gleitzeit-test-server", Version = "1.0.0" })
        .WithStdioServerTransport()
        .WithTools<TestTools>();
    await builder.Build().RunAsync().ConfigureAwait(false);
}
