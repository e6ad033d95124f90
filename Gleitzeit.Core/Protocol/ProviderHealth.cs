using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

/// <summary>Outcome of a health check, with details to show (models, tools, version, ...).</summary>
public sealed record ProviderHealth(ProviderHealthStatus Status, string? Message = null, JsonObject? Details = null)
{
    /// <summary>A healthy report, with an optional note and details.</summary>
    public static ProviderHealth Healthy(string? message = null, JsonObject? details = null) => new(ProviderHealthStatus.Healthy, message, details);

    /// <summary>An unhealthy report saying what is wrong in <paramref name="message"/>.</summary>
    public static ProviderHealth Unhealthy(string message, JsonObject? details = null) => new(ProviderHealthStatus.Unhealthy, message, details);
}
