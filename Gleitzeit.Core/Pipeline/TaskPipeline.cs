using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// The path every attempt of every task takes, in the in-process engine and in a Redis worker alike. Stages, outermost
/// first:
/// <list type="number">
/// <item><b>telemetry</b>: the <c>gleitzeit.task</c> activity and the duration of the whole attempt;</item>
/// <item><b>references</b>: <c>${...}</c> replaced by results and inputs;</item>
/// <item><b>validation</b>: the resolved parameters checked against the method's specs;</item>
/// <item><b>cache</b>: a task with <c>cache:</c> answered from the <see cref="Cost.ITaskResultCache"/>, or its result stored;</item>
/// <item><b>rate limit</b>: an LLM task over its provider's <see cref="Cost.RateLimitOptions"/> deferred (queued again later, holding no slot);</item>
/// <item><b>budget</b>: an LLM task of a run with <c>budget:</c> admitted by the <see cref="Cost.IBudgetLedger"/>, or failed BUDGET_EXCEEDED;</item>
/// <item>the <see cref="ITaskMiddleware"/> registered with <c>UseTaskMiddleware&lt;T&gt;()</c>, in registration order
/// (cache, budget and rate limits belong here: they see final parameters and may answer without calling the provider,
/// and a wait of theirs does not eat the attempt's timeout);</item>
/// <item><b>timeout</b>: the attempt's limit on what follows;</item>
/// <item><b>provider</b>: the JSON-RPC call, its result or failure classified.</item>
/// </list>
/// After a failed attempt, <see cref="DecideRetry"/> is the one retry decision of both executors.
/// Nothing here throws for a task's failure: every attempt ends with a <see cref="TaskOutcome"/>.
/// </summary>
public sealed partial class TaskPipeline
{
    private readonly TaskDelegate _entry;
    private readonly IServiceProvider? _services;
    private readonly ILogger _logger;

    /// <summary>Builds the pipeline once; attempts allocate nothing for its stages.</summary>
    /// <param name="middleware">Your stages, in the order they run (between validation and timeout).</param>
    /// <param name="services">What <see cref="TaskContext.Services"/> returns; none when null.</param>
    /// <param name="logger">Receives retries, final failures and middleware faults.</param>
    /// <param name="timeProvider">The clock of timeouts and durations.</param>
    public TaskPipeline(IEnumerable<ITaskMiddleware>? middleware = null, IServiceProvider? services = null, ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(middleware, services, logger, timeProvider, costStages: true)
    {
    }

    /// <summary>The pipeline as it was before the cost stages: only for measuring what they add (benchmarks).</summary>
    internal static TaskPipeline WithoutCostStages(IServiceProvider? services = null) => new(null, services, null, null, costStages: false);

    private TaskPipeline(IEnumerable<ITaskMiddleware>? middleware, IServiceProvider? services, ILogger? logger, TimeProvider? timeProvider, bool costStages)
    {
        var time = timeProvider ?? TimeProvider.System;
        _services = services;
        _logger = logger ?? NullLogger.Instance;
        var user = middleware?.ToArray() ?? [];
        for (var i = 0; i < user.Length; i++)
        {
            if (user[i] is null) throw new ArgumentException($"Task middleware {i + 1} of {user.Length} is null.", nameof(middleware));
        }

        var stages = new List<(string Name, ITaskMiddleware Stage, bool Guarded)>
        {
            ("telemetry", new TelemetryStage(time), false),
            ("references", new ReferenceStage(), false),
            ("validation", new ValidationStage(), false),
        };
        if (costStages)
        {
            stages.Add(("cache", new CacheStage(time, _logger), false));
            stages.Add(("rate limit", new RateLimitStage(time), false));
            stages.Add(("budget", new BudgetStage(_logger), false));
        }
        foreach (var m in user) stages.Add((NameOf(m), m, true));
        stages.Add(("timeout", new TimeoutStage(time), false));

        var next = ProviderCallStage.Invoke;
        for (var i = stages.Count - 1; i >= 0; i--) next = stages[i].Guarded ? Guarded(stages[i].Stage, next) : Linked(stages[i].Stage, next);
        _entry = next;
        Stages = [.. stages.Select(s => s.Name), "provider"];
    }

    /// <summary>The stages in the order an attempt passes them (your middleware by type name).</summary>
    public IReadOnlyList<string> Stages { get; }

    /// <summary>Runs one attempt through every stage. Never throws for the task's failure: the outcome says how it ended.</summary>
    public ValueTask<TaskOutcome> ExecuteAsync(TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_services is not null) context.Services = _services;
        ValueTask<TaskOutcome> pending;
        try
        {
            pending = _entry(context);
        }
        catch (Exception ex)
        {
            return ValueTask.FromResult(Unexpected(context, ex));
        }
        return pending.IsCompletedSuccessfully ? pending : AwaitAsync(context, pending);
    }

    /// <summary>
    /// The retry decision after a failed attempt, the same for the engine and the workers: retryable errors are retried
    /// while the policy has attempts left, after the provider's Retry-After when it gave one (else the policy's backoff).
    /// A Retry-After longer than the policy's <c>MaxDelay</c> or than the time the run has left fails the task with the
    /// provider's message. A task that fails for good after retries fails with TASK_RETRIES_EXHAUSTED carrying the last error.
    /// </summary>
    public RetryDecision DecideRetry(TaskContext context, TaskOutcome outcome, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!outcome.IsFailed) throw new ArgumentException($"Only a failed attempt is retried; this one is {outcome}.", nameof(outcome));
        var decision = RetryRule.Decide(outcome.Error!, outcome.RetryAfter, context.Attempt, context.RetryPolicy, now, context.RunDeadline);
        if (decision.Retry)
        {
            Diagnostics.TaskRetries.Add(1);
            LogTaskRetrying(context.WorkflowId, context.Task.Id, context.Attempt + 1, decision.Delay.TotalMilliseconds, decision.Error.CodeName, decision.Error.Message);
        }
        else
        {
            Diagnostics.TasksFailed.Add(1);
            LogTaskFailed(context.WorkflowId, context.Task.Id, decision.Error.CodeName, decision.Error.Message);
        }
        return decision;
    }

    private static TaskDelegate Linked(ITaskMiddleware stage, TaskDelegate next) => context => stage.InvokeAsync(context, next);

    private TaskDelegate Guarded(ITaskMiddleware middleware, TaskDelegate next) => context => InvokeGuarded(middleware, context, next);

    /// <summary>Runs user middleware so that whatever it does ends as an outcome: a throw is INTERNAL_ERROR naming it.</summary>
    private ValueTask<TaskOutcome> InvokeGuarded(ITaskMiddleware middleware, TaskContext context, TaskDelegate next)
    {
        ValueTask<TaskOutcome> pending;
        try
        {
            pending = middleware.InvokeAsync(context, next);
            if (pending.IsCompletedSuccessfully) return ValueTask.FromResult(Checked(middleware, pending.Result));
        }
        catch (Exception ex)
        {
            return ValueTask.FromResult(Threw(middleware, context, ex));
        }
        return AwaitGuardedAsync(middleware, context, pending);
    }

    private async ValueTask<TaskOutcome> AwaitGuardedAsync(ITaskMiddleware middleware, TaskContext context, ValueTask<TaskOutcome> pending)
    {
        try
        {
            return Checked(middleware, await pending.ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            return Threw(middleware, context, ex);
        }
    }

    private static TaskOutcome Checked(ITaskMiddleware middleware, TaskOutcome outcome) =>
        outcome.Kind is TaskOutcomeKind.Completed or TaskOutcomeKind.Failed or TaskOutcomeKind.Cancelled
            ? outcome
            : TaskOutcome.Failed(new GleitzeitError(GleitzeitErrorCode.InternalError,
                $"task middleware {FullNameOf(middleware)} returned no outcome (default(TaskOutcome)); return TaskOutcome.Completed, Failed or Cancelled"));

    private TaskOutcome Threw(ITaskMiddleware middleware, TaskContext context, Exception ex)
    {
        if (ex is OperationCanceledException && context.RunCancellationToken.IsCancellationRequested) return TaskOutcome.Cancelled;
        LogMiddlewareFault(context.WorkflowId, context.Task.Id, FullNameOf(middleware), ex);
        return TaskOutcome.Failed(new GleitzeitError(GleitzeitErrorCode.InternalError,
            $"task middleware {FullNameOf(middleware)} failed: {ex.GetType().Name}: {ex.Message}"));
    }

    private async ValueTask<TaskOutcome> AwaitAsync(TaskContext context, ValueTask<TaskOutcome> pending)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return Unexpected(context, ex);
        }
    }

    /// <summary>A built-in stage failed (a bug): the attempt fails rather than the engine or the worker.</summary>
    private TaskOutcome Unexpected(TaskContext context, Exception ex)
    {
        if (ex is OperationCanceledException && context.RunCancellationToken.IsCancellationRequested) return TaskOutcome.Cancelled;
        LogPipelineFault(context.WorkflowId, context.Task.Id, ex);
        return TaskOutcome.Failed(new GleitzeitError(GleitzeitErrorCode.InternalError, $"the task pipeline failed: {ex.GetType().Name}: {ex.Message}"));
    }

    private static string NameOf(ITaskMiddleware middleware) => middleware.GetType().Name;

    private static string FullNameOf(ITaskMiddleware middleware) => middleware.GetType().FullName ?? middleware.GetType().Name;

    [LoggerMessage(1, LogLevel.Warning, "Run {WorkflowId}: task {TaskId} failed: {Code}: {Message}")]
    private partial void LogTaskFailed(string workflowId, string taskId, string code, string message);

    [LoggerMessage(2, LogLevel.Information, "Run {WorkflowId}: task {TaskId} attempt {Attempt} in {DelayMs} ms after {Code}: {Message}")]
    private partial void LogTaskRetrying(string workflowId, string taskId, int attempt, double delayMs, string code, string message);

    [LoggerMessage(3, LogLevel.Error, "Run {WorkflowId}: task {TaskId}: task middleware {Middleware} threw")]
    private partial void LogMiddlewareFault(string workflowId, string taskId, string middleware, Exception exception);

    [LoggerMessage(4, LogLevel.Error, "Run {WorkflowId}: task {TaskId}: the task pipeline failed")]
    private partial void LogPipelineFault(string workflowId, string taskId, Exception exception);
}
