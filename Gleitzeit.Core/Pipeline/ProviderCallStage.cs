using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// The last stage: the provider call as a JSON-RPC request, its result or failure classified as an outcome.
/// Provider failures never escape as exceptions: a <see cref="GleitzeitException"/> keeps its code (and Retry-After),
/// anything else is TASK_EXECUTION_FAILED.
/// </summary>
internal static class ProviderCallStage
{
    public static readonly TaskDelegate Invoke = InvokeAsync;

    /// <summary>How long a cancelled provider call may take to wind down before it is abandoned.</summary>
    private static readonly TimeSpan CancellationGrace = TimeSpan.FromMilliseconds(250);

    private static ValueTask<TaskOutcome> InvokeAsync(TaskContext context)
    {
        var task = context.Task;
        var invocation = new TaskInvocation(new JsonRpcRequest(task.Method, context.Parameters, JsonValue.Create(task.Id)), context.WorkflowId, task.Id, context.Attempt, context.Progress)
        {
            Provider = task.Provider,
            BaseDirectory = context.Workflow.BaseDirectory,
            Iteration = context.Iteration,
        };
        ValueTask<JsonNode?> pending;
        try
        {
            pending = context.Provider.ExecuteAsync(invocation, context.CancellationToken);
            if (pending.IsCompletedSuccessfully) return ValueTask.FromResult(TaskOutcome.Completed(pending.Result));
        }
        catch (Exception ex)
        {
            return ValueTask.FromResult(Classify(context, ex));
        }
        return AwaitAsync(context, pending);
    }

    private static async ValueTask<TaskOutcome> AwaitAsync(TaskContext context, ValueTask<JsonNode?> pending)
    {
        var call = pending.AsTask();
        try
        {
            // WaitAsync: a provider that ignores its token still ends the attempt at the timeout or on cancellation.
            return TaskOutcome.Completed(await call.WaitAsync(context.CancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException ex) when (context.CancellationToken.IsCancellationRequested && !call.IsCompleted)
        {
            // This continuation runs inside the token's Cancel, before the provider's own callbacks (they run last-in
            // first-out, and the provider registered first). Yield to them, so a provider that honours its token has
            // wound down before the task is reported ended; one that ignores it is abandoned after a short grace.
            await ((Task)call).WaitAsync(CancellationGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return Classify(context, ex);
        }
        catch (Exception ex)
        {
            return Classify(context, ex);
        }
    }

    private static TaskOutcome Classify(TaskContext context, Exception ex) => ex switch
    {
        OperationCanceledException when context.CancellationToken.IsCancellationRequested => TaskOutcome.Cancelled,
        OperationCanceledException => TaskOutcome.Failed(new GleitzeitError(GleitzeitErrorCode.ProviderTimeout, $"the provider gave up: {ex.Message}")),
        GleitzeitException g => TaskOutcome.Failed(g.ToError(), g.RetryAfter),
        _ => TaskOutcome.Failed(new GleitzeitError(GleitzeitErrorCode.TaskExecutionFailed, $"{ex.GetType().Name}: {ex.Message}")),
    };
}
