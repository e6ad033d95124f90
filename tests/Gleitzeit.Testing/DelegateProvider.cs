using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Testing;

/// <summary>A provider whose behaviour is a delegate: the simplest custom provider for tests.</summary>
public sealed class DelegateProvider : ITaskProvider
{
    private readonly Func<TaskInvocation, CancellationToken, ValueTask<JsonNode?>> _execute;

    public DelegateProvider(string protocol, Func<TaskInvocation, CancellationToken, ValueTask<JsonNode?>> execute, params string[] methods)
    {
        var slash = protocol.IndexOf('/');
        Protocol = new ProtocolDescriptor(protocol[..slash], protocol[(slash + 1)..],
            (methods.Length == 0 ? ["*"] : methods).Select(m => new MethodDescriptor(m)).ToList());
        _execute = execute;
    }

    public ProtocolDescriptor Protocol { get; }

    public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken) => _execute(invocation, cancellationToken);

    public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProviderHealth.Healthy());

    /// <summary>The <c>echo/v1</c> provider the original examples use: returns <c>{"response": message}</c>.</summary>
    public static DelegateProvider Echo() => new("echo/v1", (inv, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = inv.Parameters["message"]?.DeepClone() }), "echo");
}
