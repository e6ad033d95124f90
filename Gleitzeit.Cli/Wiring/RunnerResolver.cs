using Gleitzeit.Core.Execution;
using Gleitzeit.Persistence.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Cli.Wiring;

/// <summary>
/// Picks the <see cref="IWorkflowRunner"/> for a command: the in-process engine, or — with the redis backend — the
/// distributed runner for runs queued for <c>gleitzeit worker</c> processes. The one place that asks "is this run queued
/// in Redis"; the commands only talk to the runner they get.
/// </summary>
internal sealed class RunnerResolver(IServiceProvider services, string backend)
{
    /// <summary>Runs workflows in this process (<see cref="ExecutionEngine"/>).</summary>
    public ExecutionEngine InProcess => services.GetRequiredService<ExecutionEngine>();

    /// <summary>Queues runs for workers (redis backend only; a clear error otherwise).</summary>
    public IWorkflowRunner Distributed => DistributedOrNull
        ?? throw CliException.Invalid($"This needs the redis backend; the configured backend is {backend}.",
            "Set persistence.backend: redis in config.yaml, GLEITZEIT_PERSISTENCE_BACKEND=redis, or pass --backend redis.");

    private RedisWorkflowRunner? DistributedOrNull => services.GetKeyedService<IWorkflowRunner>(RedisWorkflowRunner.ServiceKey) as RedisWorkflowRunner;

    /// <summary>The runner owning the run: the distributed one when the run was queued for workers (it is cancelled and
    /// followed through it, and never resumed here), else the engine (for an unknown run too: it reports WORKFLOW_NOT_FOUND).</summary>
    public async Task<IWorkflowRunner> ForRunAsync(string workflowId, CancellationToken cancellationToken) =>
        DistributedOrNull is { } distributed && await distributed.OwnsAsync(workflowId, cancellationToken).ConfigureAwait(false)
            ? distributed
            : InProcess;
}
