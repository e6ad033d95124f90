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

    private static ValueTask<TaskOutcome> InvokeAsync(TaskContext context)
    {
        var task = context.Task;
        var invocation = new TaskInvocation(new JsonRpcRequest(task.Method, context.Parameters, JsonValue.Create(task.Id)), context.WorkflowId, task.Id, context.Attempt, context.Progress)
        {
            Provider = task.Provider,
            BaseDirectory = context.Workflow.BaseDirectory,
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
        try
        {
            // WaitAsync: a provider that ignores its token still ends the attempt at the timeout or on cancellation.
            return TaskOutcome.Completed(await pending.AsTask().WaitAsync(context.CancellationToken).ConfigureAwait(false));
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
