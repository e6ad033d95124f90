using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

/// <summary>
/// Serves the methods of one protocol (<c>llm/v1</c>, <c>python/v1</c>, <c>mcp/v1</c> or your own).
/// Every call is a JSON-RPC 2.0 request; return the result object, or throw <see cref="GleitzeitException"/>
/// with a code that says what went wrong and whether a retry can help. Any other exception becomes
/// TASK_EXECUTION_FAILED (not retried).
/// </summary>
public interface ITaskProvider
{
    /// <summary>The protocol this provider implements, with its methods and their parameter specs.</summary>
    ProtocolDescriptor Protocol { get; }

    /// <summary>Executes one task attempt. <paramref name="cancellationToken"/> fires on timeout or cancellation.</summary>
    ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken);

    /// <summary>Reports whether the provider can serve calls now (process running, server reachable, ...).</summary>
    ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Returns an object of <paramref name="serviceType"/> this provider offers (a capability such as
    /// <see cref="Substitution.IReferenceRenderer"/>), or null. The default returns the provider itself when it is of
    /// that type. A decorator around another provider forwards what it does not offer itself to the inner provider,
    /// so the inner provider's capabilities stay reachable (as <c>IChatClient.GetService</c> does).
    /// </summary>
    object? GetService(Type serviceType)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceType.IsInstanceOfType(this) ? this : null;
    }
}
