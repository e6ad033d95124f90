using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>
/// <c>workflow/v1</c>: <c>workflow/run</c> runs another workflow as a run of its own (a sub-workflow) in the engine and
/// answers with <c>{ "workflow_id", "status", "outputs" }</c>. Registered by every <see cref="ExecutionEngine"/> (and by
/// <c>AddGleitzeit</c>) in its registry, so workflow files can name it like any other method.
/// </summary>
internal sealed class WorkflowRunProvider(Func<ExecutionEngine> engine) : ITaskProvider
{
    public const string ProviderId = "workflow";
    public const string ProtocolId = "workflow/v1";
    public const string MethodName = "workflow/run";

    internal static readonly ProtocolDescriptor Descriptor = new("workflow", "v1",
    [
        new MethodDescriptor(MethodName,
            new ParameterSpec("workflow", ParameterType.String, Required: true,
                "A workflow file (relative to the file of the workflow that runs it) or the name of a workflow registered with the engine.") { AcceptsReferences = false },
            new ParameterSpec("inputs", ParameterType.Object, Description: "Inputs of the sub-workflow (its ${inputs.NAME}).")),
    ], "Sub-workflows: a workflow run as a task of another.");

    public ProtocolDescriptor Protocol => Descriptor;

    /// <summary>The engine whose runs this provider starts (resolved on first use).</summary>
    public ExecutionEngine Engine => engine();

    public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken) =>
        new(engine().RunChildAsync(invocation, cancellationToken));

    public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProviderHealth.Healthy());

    /// <summary>Makes the provider the registry's built-in <c>workflow/v1</c> unless it has one (the first engine's).</summary>
    public static void AddTo(ProviderRegistry registry, Func<ExecutionEngine> engine)
    {
        lock (registry)
        {
            registry.BuiltIn ??= new ProviderRegistration(new WorkflowRunProvider(engine), ProviderId);
        }
    }

    /// <summary>The built-in provider of <c>workflow/v1</c> in <paramref name="registry"/>, if it has one.</summary>
    public static WorkflowRunProvider? In(ProviderRegistry? registry) => registry?.BuiltIn?.Provider as WorkflowRunProvider;
}
