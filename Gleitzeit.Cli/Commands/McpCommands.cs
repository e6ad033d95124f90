using System.CommandLine;
using Gleitzeit.Cli.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>mcp serve [DIR] [--http PORT]</c>: Gleitzeit as an MCP server whose tools are the workflow files of DIR.</summary>
internal static class McpCommands
{
    public static Command Create()
    {
        var group = new Command("mcp", "Gleitzeit as a Model Context Protocol server.");
        group.Add(CreateServe());
        return group;
    }

    private static Command CreateServe()
    {
        var directory = new Argument<string>("DIR") { Description = "Folder whose workflow files (*.yaml, *.yml) become tools (default: the current folder).", DefaultValueFactory = _ => "." };
        var http = new Option<int?>("--http") { Description = "Serve Streamable HTTP on 127.0.0.1:PORT (path /mcp) instead of stdio (0: any free port).", HelpName = "PORT" };
        var command = new Command("serve", "Serve the workflow files of DIR as MCP tools (stdio, or --http PORT): any MCP client can run them.") { directory, http };
        command.SetHandler(async context =>
        {
            var dir = Path.GetFullPath(context.Parse.GetValue(directory)!);
            if (!Directory.Exists(dir)) throw CliException.FileNotFound(dir, "Workflow folder");
            var port = context.Parse.GetValue(http);
            if (port is < 0 or > 65535) throw CliException.Invalid($"--http {port} is not a TCP port (0 to 65535).");
            var services = context.GetServices();
            // In stdio mode stdout is the protocol: everything for people goes to stderr.
            var err = context.Output.Err;
            var tools = WorkflowToolServer.Load(dir, services.Registry, warning => err.WriteLine("warning: " + Rendering.TerminalText.Sanitize(warning)));
            if (tools.Count == 0) err.WriteLine($"warning: {dir} has no workflow file that loads; the server offers no tool.");
            var server = new WorkflowToolServer(tools, services.Engine);
            var info = new Implementation { Name = "gleitzeit", Version = typeof(McpCommands).Assembly.GetName().Version?.ToString(3) ?? "0.0.0" };
            if (port is { } p)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.Logging.ClearProviders();
                builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, p));
                builder.Services.AddMcpServer(o => o.ServerInfo = info)
                    .WithHttpTransport()
                    .WithListToolsHandler(server.ListToolsAsync)
                    .WithCallToolHandler(server.CallToolAsync);
                await using var app = builder.Build();
                app.MapMcp("/mcp");
                try
                {
                    await app.StartAsync(context.CancellationToken).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    throw new CliException(ExitCodes.General, $"Cannot listen on 127.0.0.1:{p}: {ex.Message}", "Pick another port (0 takes any free one).");
                }
                var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                context.Output.Line($"MCP server: {url}/mcp  ({tools.Count} tool{(tools.Count == 1 ? "" : "s")}: {string.Join(", ", tools.Select(t => t.Name))}). Ctrl+C stops it.");
                await context.Output.Out.FlushAsync().ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, context.CancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
                {
                    // Ctrl+C: stop serving.
                }
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                err.WriteLine($"gleitzeit MCP server on stdio: {tools.Count} tool{(tools.Count == 1 ? "" : "s")} from {dir}.");
                var builder = Host.CreateEmptyApplicationBuilder(settings: null);
                builder.Services.AddMcpServer(o => o.ServerInfo = info)
                    .WithStdioServerTransport()
                    .WithListToolsHandler(server.ListToolsAsync)
                    .WithCallToolHandler(server.CallToolAsync);
                using var host = builder.Build();
                try
                {
                    await host.RunAsync(context.CancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
                {
                    // Ctrl+C.
                }
            }
            return context.SignalExitCode ?? ExitCodes.Ok;
        });
        return command;
    }
}
