using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Human;

/// <summary>
/// Protocol <c>human/v1</c>: <c>human/approval</c> (params <c>prompt</c>, optional <c>timeout</c> and
/// <c>on_timeout: approve | reject | fail</c>, default fail) and <c>human/input</c> (params <c>prompt</c>, <c>schema</c>,
/// optional <c>timeout</c>). Registered by <c>AddGleitzeit</c>. Its call only checks and returns the request: the engine
/// (or a Redis worker) then stores the task <see cref="WorkflowTaskStatus.Waiting"/> until someone answers it.
/// </summary>
public sealed class HumanProvider : ITaskProvider
{
    /// <summary>The protocol id, <c>human/v1</c>.</summary>
    public const string ProtocolId = "human/v1";

    private static readonly ProtocolDescriptor Descriptor = new("human", "v1",
    [
        new MethodDescriptor(HumanRequest.Approval,
        [
            new ParameterSpec("prompt", ParameterType.String, Required: true, "What the person decides."),
            new ParameterSpec("timeout", ParameterType.Number | ParameterType.String, Description: "Seconds, or 90s / 30m / 2h / 1d; none: wait for ever.") { AcceptsReferences = false },
            new ParameterSpec("on_timeout", ParameterType.String, Description: "approve | reject | fail (default) when nobody decides in time.") { AcceptsReferences = false },
        ], "Waits until a person approves or rejects; result {approved, by, comment, decided_at}.") { AllowAdditionalParameters = false },
        new MethodDescriptor(HumanRequest.Input,
        [
            new ParameterSpec("prompt", ParameterType.String, Required: true, "What the person enters."),
            new ParameterSpec("schema", ParameterType.Object | ParameterType.Boolean, Required: true, "JSON Schema the answer must match.") { AcceptsReferences = false },
            new ParameterSpec("timeout", ParameterType.Number | ParameterType.String, Description: "Seconds, or 90s / 30m / 2h / 1d; none: wait for ever.") { AcceptsReferences = false },
            new ParameterSpec("on_timeout", ParameterType.String, Description: "fail (the only choice: there is no answer to assume).") { AcceptsReferences = false },
        ], "Waits until a person enters a value matching the schema; result {input, by, decided_at}.") { AllowAdditionalParameters = false },
    ], "Human in the loop: approvals and inputs that pause a run durably.");

    /// <summary>The one instance (it holds no state).</summary>
    public static HumanProvider Instance { get; } = new();

    /// <inheritdoc />
    public ProtocolDescriptor Protocol => Descriptor;

    /// <summary>Checks the request and returns it; the caller turns it into a waiting task.</summary>
    public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var request = HumanRequest.Parse(invocation.Method, invocation.Parameters);
        return ValueTask.FromResult<JsonNode?>(request.ToWaitingResult(DateTimeOffset.UnixEpoch, null));
    }

    /// <summary>Always healthy: nothing to reach.</summary>
    public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProviderHealth.Healthy("people answer through the API or 'gleitzeit workflow approve|reject|respond'"));
}
