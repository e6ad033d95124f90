using Gleitzeit.Dashboard;
using Gleitzeit.Dashboard.Api;
using Gleitzeit.Dashboard.Assets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the Gleitzeit dashboard: its pages and its JSON / server-sent-events API.</summary>
public static class GleitzeitDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the dashboard under <paramref name="prefix"/>: the runs page at <c>{prefix}/</c>, a run at
    /// <c>{prefix}/runs/{id}</c>, and the API at <c>{prefix}/api/...</c> (docs/dashboard.md). It reads runs through the
    /// application's <c>IWorkflowStore</c> and follows live runs through the <c>ExecutionEngine</c> (or the runner
    /// <see cref="DashboardOptions.RunnerSelector"/> picks). The returned builder applies to every endpoint, so
    /// <c>.RequireAuthorization(...)</c> protects pages and API alike. Anyone who reaches it can read every run and cancel or
    /// resume runs: map it behind authorization unless only trusted people reach the application.
    /// </summary>
    /// <example><c>app.MapGleitzeitDashboard("/gleitzeit").RequireAuthorization("admins");</c></example>
    public static IEndpointConventionBuilder MapGleitzeitDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/gleitzeit", Action<DashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var normalized = "/" + prefix.Trim().Trim('/');
        if (normalized == "/") normalized = "";
        if (normalized.Contains('{', StringComparison.Ordinal) || normalized.Contains('?', StringComparison.Ordinal) || normalized.Contains('#', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The dashboard prefix '{prefix}' must be a plain path such as /gleitzeit (no route parameters, query or fragment).", nameof(prefix));
        }
        var options = new DashboardOptions();
        configure?.Invoke(options);
        if (options.PageSize < 1 || options.MaxPageSize < options.PageSize) throw new ArgumentException("DashboardOptions: PageSize must be at least 1 and MaxPageSize at least PageSize.", nameof(configure));
        if (options.MaxInlineResultLength < 1) throw new ArgumentException("DashboardOptions: MaxInlineResultLength must be at least 1.", nameof(configure));
        if (options.StorePollInterval <= TimeSpan.Zero) throw new ArgumentException("DashboardOptions: StorePollInterval must be positive.", nameof(configure));

        var dashboard = new DashboardContext(endpoints.ServiceProvider, options, normalized);
        var assets = new EmbeddedAssets(normalized);
        var group = endpoints.MapGroup(normalized.Length == 0 ? "/" : normalized);
        group.MapGet("/", (HttpContext http) =>
            http.Request.Path.HasValue && !http.Request.Path.Value!.EndsWith('/') ? Results.Redirect(normalized + "/") : assets.Index(http));
        group.MapGet("/runs/{id}", (HttpContext http) => assets.Index(http));
        group.MapGet("/assets/{name}", (string name, HttpContext http) => assets.File(name, http));
        RunsEndpoints.Map(group.MapGroup("/api"), dashboard);
        group.WithMetadata(dashboard);
        return group;
    }
}
