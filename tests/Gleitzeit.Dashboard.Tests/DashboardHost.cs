using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Dashboard.Tests;

/// <summary>A real Kestrel server on a free loopback port with the engine, a store, the gate provider and the dashboard at /gleitzeit.</summary>
internal sealed class DashboardHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardHost(WebApplication app, Gates gates, string root)
    {
        _app = app;
        Gates = gates;
        Root = root;
        Http = new HttpClient { BaseAddress = new Uri(root) };
        Dashboard = app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(e => e.Metadata.GetMetadata<DashboardContext>()).First(d => d is not null)!;
    }

    public Gates Gates { get; }

    /// <summary>The dashboard's address, ending in a slash: <c>http://127.0.0.1:PORT/gleitzeit/</c>.</summary>
    public string Root { get; }

    public HttpClient Http { get; }

    public ExecutionEngine Engine => _app.Services.GetRequiredService<ExecutionEngine>();

    public IWorkflowStore Store => _app.Services.GetRequiredService<IWorkflowStore>();

    internal DashboardContext Dashboard { get; }

    public static async Task<DashboardHost> StartAsync(Action<IGleitzeitBuilder>? configureGleitzeit = null, Action<DashboardOptions>? configure = null)
    {
        var gates = new Gates();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var gleitzeit = builder.Services.AddGleitzeit().AddProvider(gates.Provider());
        configureGleitzeit?.Invoke(gleitzeit);
        var app = builder.Build();
        app.MapGleitzeitDashboard("/gleitzeit", configure);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DashboardHost(app, gates, address.TrimEnd('/') + "/gleitzeit/");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
