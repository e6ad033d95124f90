using System.CommandLine;
using System.Net;
using Gleitzeit.Cli.Wiring;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>dashboard [--port 5170] [--host 127.0.0.1]</c>: serves the web dashboard over the configured store until Ctrl+C.</summary>
internal static class DashboardCommand
{
    public const int DefaultPort = 5170;

    public static Command Create()
    {
        var port = new Option<int>("--port", "-p") { Description = "TCP port to listen on (0: any free port).", DefaultValueFactory = _ => DefaultPort };
        var host = new Option<string>("--host") { Description = "Address to listen on. The default serves this machine only; another address serves the network, without authorization.", DefaultValueFactory = _ => "127.0.0.1" };
        var command = new Command("dashboard", "Serve the web dashboard (runs, live graphs, task details, cancel / resume) over the configured store until Ctrl+C.") { port, host };
        command.SetHandler(async context =>
        {
            var portNumber = context.Parse.GetValue(port);
            if (portNumber is < 0 or > 65535) throw CliException.Invalid($"--port {portNumber} is not a TCP port (0 to 65535).");
            var address = context.Parse.GetValue(host)!.Trim();
            var loopback = IsLoopback(address);
            if (!loopback && !IPAddress.TryParse(address, out _) && Uri.CheckHostName(address) == UriHostNameType.Unknown)
            {
                throw CliException.Invalid($"--host '{address}' is neither an IP address nor a host name.", "Use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).");
            }
            var services = context.GetServices();
            await using var app = Build(services, address, portNumber);
            try
            {
                await app.StartAsync(context.CancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new CliException(ExitCodes.General, $"Cannot listen on {address}:{portNumber}: {ex.Message}", "Pick another port with --port (0 takes any free one).");
            }
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            if (!loopback)
            {
                context.Output.Err.WriteLine(
                    $"warning: the dashboard listens on {address}, so other machines can reach it, and it has no authorization: anyone who reaches it " +
                    "can read every run (parameters and results) and cancel or resume runs. Serve it on 127.0.0.1 (the default), or behind a reverse proxy " +
                    "that authenticates; in your own application, map it with MapGleitzeitDashboard(...).RequireAuthorization(...).");
            }
            context.Output.Line($"Gleitzeit dashboard: {url}/  (store: {services.StoreDescription}). Ctrl+C stops it.");
            await context.Output.Out.FlushAsync().ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                // Ctrl+C: stop serving; runs resumed from the page are interrupted (not cancelled) as the engine stops.
            }
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return context.SignalExitCode ?? ExitCodes.Ok;
        });
        return command;
    }

    private static WebApplication Build(GleitzeitServices services, string address, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(ListenAddress(address), port));
        // The CLI's own services (store, engine, providers) are the dashboard's: one engine, one store.
        builder.Services.AddSingleton<IWorkflowStore>(services.Store);
        builder.Services.AddSingleton(services.Engine);
        var app = builder.Build();
        var runners = services.Runners;
        app.MapGleitzeitDashboard("/", o => o.RunnerSelector = (id, ct) => runners.ForRunAsync(id, ct));
        return app;
    }

    private static IPAddress ListenAddress(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        var resolved = Dns.GetHostAddresses(host);
        return resolved.Length > 0 ? resolved[0] : throw CliException.Invalid($"--host '{host}' does not resolve to an address.");
    }

    /// <summary>Reachable from this machine only: a loopback address or <c>localhost</c>.</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
