using Gleitzeit.Core.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gleitzeit.Core.Hosting;

/// <summary>The registered <see cref="IWorkflowStore"/> answers a read (one run looked up by id: the cheapest read every store has).</summary>
internal sealed class StoreHealthCheck(IWorkflowStore store) : IHealthCheck
{
    private const string ProbeId = "gleitzeit-health-probe";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var kind = store.GetType().Name;
        try
        {
            await store.GetRunAsync(ProbeId, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"workflow store ({kind}) answers reads", new Dictionary<string, object> { ["store"] = kind });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"workflow store ({kind}) cannot be read: {ex.Message}", ex,
                new Dictionary<string, object> { ["store"] = kind });
        }
    }
}
