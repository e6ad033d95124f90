namespace Gleitzeit.Core.Protocol;

/// <summary>
/// How a provider reports its health (<see cref="ProviderHealth.Status"/>). Named apart from
/// <c>Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus</c>, to which <c>AddHealthChecks().AddGleitzeit()</c> maps it.
/// </summary>
public enum ProviderHealthStatus
{
    /// <summary>The provider can serve tasks.</summary>
    Healthy,

    /// <summary>The provider serves tasks, with a problem worth a look (a missing model, a slow back end).</summary>
    Degraded,

    /// <summary>The provider cannot serve tasks now (its server is down, its interpreter missing).</summary>
    Unhealthy,
}
