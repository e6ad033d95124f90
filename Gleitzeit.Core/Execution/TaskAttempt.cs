using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Execution;

/// <summary>How one attempt ended: a result, a classified error (with the provider's Retry-After), or cancellation.</summary>
internal readonly record struct AttemptOutcome(JsonNode? Result, GleitzeitError? Error, TimeSpan? RetryAfter, bool Cancelled);

/// <summary>
/// One task attempt as every executor runs it (the in-process engine and the Redis workers): resolve references,
/// validate the resolved parameters, call the provider as a JSON-RPC request under the task's timeout, and classify how
/// it ended. Provider failures never escape as exceptions.
/// </summary>
internal static class TaskAttempt
{
    public static async ValueTask<AttemptOutcome> RunAsync(
        WorkflowTask task,
        ProviderRegistration registration,
        MethodDescriptor method,
        string workflowId,
        int attempt,
        Func<Reference, JsonNode?>? lookup,
        string? baseDirectory,
        Action<TaskProgressUpdate>? progress,
        TimeSpan? timeout,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        CancellationTokenSource? timeoutCts = null;
        CancellationTokenSource? linkedCts = null;
        try
        {
            var parameters = lookup is null
                ? task.Parameters
                : ReferenceResolver.Resolve(task.Parameters, lookup, task.Method, registration.Provider as IReferenceRenderer);
            var problems = method.Validate(parameters);
            if (problems.Count > 0) throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, string.Join("; ", problems));
            var invocation = new TaskInvocation(new JsonRpcRequest(task.Method, parameters, JsonValue.Create(task.Id)), workflowId, task.Id, attempt, progress)
            {
                Provider = task.Provider,
                BaseDirectory = baseDirectory,
            };
            var token = cancellationToken;
            if (timeout is { } limit && limit != Timeout.InfiniteTimeSpan)
            {
                if (ReferenceEquals(time, TimeProvider.System))
                {
                    // One source instead of two on the hot path: the caller's token linked, the deadline on the same source.
                    linkedCts = CancellationTokenSource.CreateLinkedTokenSource(token);
                    linkedCts.CancelAfter(limit);
                }
                else
                {
                    timeoutCts = new CancellationTokenSource(limit, time);
                    linkedCts = CancellationTokenSource.CreateLinkedTokenSource(token, timeoutCts.Token);
                }
                token = linkedCts.Token;
            }
            var pending = registration.Provider.ExecuteAsync(invocation, token);
            var result = pending.IsCompletedSuccessfully ? pending.Result : await pending.AsTask().WaitAsync(token).ConfigureAwait(false);
            return new AttemptOutcome(result, null, null, false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new AttemptOutcome(null, null, null, true);
        }
        catch (OperationCanceledException) when (linkedCts?.IsCancellationRequested == true)
        {
            return Failed(new GleitzeitError(GleitzeitErrorCode.TaskTimeout, $"timed out after {timeout!.Value.TotalSeconds:0.###} s (attempt {attempt})"));
        }
        catch (OperationCanceledException ex)
        {
            return Failed(new GleitzeitError(GleitzeitErrorCode.ProviderTimeout, $"the provider gave up: {ex.Message}"));
        }
        catch (GleitzeitException ex)
        {
            return new AttemptOutcome(null, ex.ToError(), ex.RetryAfter, false);
        }
        catch (Exception ex)
        {
            return Failed(new GleitzeitError(GleitzeitErrorCode.TaskExecutionFailed, $"{ex.GetType().Name}: {ex.Message}"));
        }
        finally
        {
            linkedCts?.Dispose();
            timeoutCts?.Dispose();
        }
    }

    /// <summary>The error a task ends with when it fails for good: a retryable error after retries becomes TASK_RETRIES_EXHAUSTED carrying it.</summary>
    public static GleitzeitError FinalError(GleitzeitError error, int attempts) =>
        attempts > 1 && error.IsRetryable
            ? new GleitzeitError(GleitzeitErrorCode.TaskRetriesExhausted, $"failed after {attempts} attempts; last error: {error.CodeName}: {error.Message}", error.ToJson())
            : error;

    private static AttemptOutcome Failed(GleitzeitError error) => new(null, error, null, false);
}
