using Gleitzeit.Core.Cost;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// The result cache: a task whose <c>cache:</c> (or the workflow's default) asks for it is answered from the
/// <see cref="ITaskResultCache"/> registered in the services when an unexpired entry exists under its
/// <see cref="TaskCacheKey"/>; otherwise it runs and a completed result is stored. Failures are never stored. A cache that
/// fails to read is a miss, one that fails to write is logged: the cache never fails a task.
/// </summary>
internal sealed partial class CacheStage(TimeProvider time, ILogger logger) : ITaskMiddleware
{
    public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
    {
        if (PolicyOf(context.Workflow, context.Task) is not { } policy) return next(context);
        if (context.Services.GetService(typeof(ITaskResultCache)) is not ITaskResultCache cache) return next(context);
        return CachedAsync(context, next, policy, cache);
    }

    public static TaskCachePolicy? PolicyOf(Workflow workflow, WorkflowTask task) => TaskCachePolicy.InEffect(workflow, task);

    private async ValueTask<TaskOutcome> CachedAsync(TaskContext context, TaskDelegate next, TaskCachePolicy policy, ITaskResultCache cache)
    {
        var key = TaskCacheKey.Compute(context.Task, KeyParameters(context), context.Registration);
        try
        {
            if (await cache.GetAsync(key, time.GetUtcNow(), context.CancellationToken).ConfigureAwait(false) is { } hit)
            {
                return TaskOutcome.FromCache(hit.Result, key);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            LogReadFailed(logger, context.WorkflowId, context.Task.Id, ex);
        }

        var outcome = await next(context).ConfigureAwait(false);
        if (!outcome.IsCompleted) return outcome;
        var now = time.GetUtcNow();
        try
        {
            await cache.SetAsync(new TaskCacheEntry
            {
                Key = key,
                WorkflowName = context.Workflow.Name,
                TaskId = context.Task.Id,
                Method = context.Task.Method,
                Result = outcome.Result,
                CreatedAt = now,
                ExpiresAt = policy.Ttl is { } ttl ? now + ttl : null,
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogWriteFailed(logger, context.WorkflowId, context.Task.Id, ex);
        }
        return outcome;
    }

    /// <summary>
    /// The parameters the key covers: with every reference replaced by its value, as the plain resolver renders it. A
    /// provider's own renderer (python binds values to variables under a random name) may render the same call differently
    /// each time, so it is not used here.
    /// </summary>
    private static System.Text.Json.Nodes.JsonObject KeyParameters(TaskContext context) =>
        context.HasReferences && context.Provider.GetService(typeof(Substitution.IReferenceRenderer)) is not null
            ? Substitution.ReferenceResolver.Resolve(context.Task.Parameters, context, ReferenceStage.Lookup, context.Task.Method, renderer: null)
            : context.Parameters;

    [LoggerMessage(101, LogLevel.Warning, "Run {WorkflowId}: task {TaskId}: the result cache could not be read; running the task")]
    private static partial void LogReadFailed(ILogger logger, string workflowId, string taskId, Exception exception);

    [LoggerMessage(102, LogLevel.Warning, "Run {WorkflowId}: task {TaskId}: the result could not be stored in the result cache")]
    private static partial void LogWriteFailed(ILogger logger, string workflowId, string taskId, Exception exception);
}
