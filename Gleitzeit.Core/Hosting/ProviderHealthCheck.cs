using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gleitzeit.Core.Hosting;

/// <summary>One registered provider's <see cref="ITaskProvider.CheckHealthAsync"/>, as a health check: its message is the description, its details the data.</summary>
internal sealed class ProviderHealthCheck(ProviderRegistration registration) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ProviderHealth health;
        try
        {
            health = await registration.Provider.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus,
                $"provider '{registration.Id}' ({registration.Protocol.Id}): the health check failed: {ex.Message}", ex);
        }
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["provider"] = registration.Id, ["protocol"] = registration.Protocol.Id };
        if (health.Details is { } details)
        {
            foreach (var (key, value) in details)
            {
                if (value is not null) data[key] = value.ToJsonString();
            }
        }
        var description = $"provider '{registration.Id}' ({registration.Protocol.Id}): {health.Message ?? health.Status.ToString().ToLowerInvariant()}";
        return health.Status switch
        {
            ProviderHealthStatus.Healthy => HealthCheckResult.Healthy(description, data),
            ProviderHealthStatus.Degraded => HealthCheckResult.Degraded(description, data: data),
            _ => new HealthCheckResult(context.Registration.FailureStatus, description, data: data),
        };
    }
}
