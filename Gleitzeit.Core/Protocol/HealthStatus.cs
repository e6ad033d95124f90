using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

public enum HealthStatus
{
    Healthy,
    Degraded,
    Unhealthy,
}
