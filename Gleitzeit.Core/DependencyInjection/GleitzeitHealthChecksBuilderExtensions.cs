using Gleitzeit.Core.Hosting;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Gleitzeit's health checks for <c>services.AddHealthChecks()</c>.</summary>
public static class GleitzeitHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds one check per registered provider (named <c>gleitzeit-provider-ID</c>, the provider's own
    /// <see cref="ITaskProvider.CheckHealthAsync"/>, its message as the description) and one for the workflow store
    /// (<c>gleitzeit-store</c>, a read). Providers are those registered when the container is built, whether added before
    /// or after this call. Each check reports <paramref name="failureStatus"/> (default <see cref="HealthStatus.Unhealthy"/>)
    /// when what it checks cannot serve, and carries <paramref name="tags"/> (default <c>gleitzeit</c>).
    /// </summary>
    public static IHealthChecksBuilder AddGleitzeit(this IHealthChecksBuilder builder, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var tagList = tags?.ToArray() ?? ["gleitzeit"];
        builder.Services.AddOptions<HealthCheckServiceOptions>().Configure<IServiceProvider>((options, services) =>
        {
            options.Registrations.Add(new HealthCheckRegistration("gleitzeit-store",
                sp => new StoreHealthCheck(sp.GetRequiredService<IWorkflowStore>()), failureStatus, tagList, timeout));
            var registry = services.GetService<ProviderRegistry>();
            var registrations = registry?.Providers ?? services.GetServices<ProviderRegistration>();
            foreach (var registration in registrations)
            {
                options.Registrations.Add(new HealthCheckRegistration("gleitzeit-provider-" + registration.Id,
                    _ => new ProviderHealthCheck(registration), failureStatus, tagList, timeout));
            }
        });
        return builder;
    }
}
