using System.Text.Json.Nodes;
using Gleitzeit.Core.Cost;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// The run's budget (<see cref="Workflow.Budget"/>): an LLM task starts only when the <see cref="IBudgetLedger"/> (from the
/// services; one of this pipeline's own otherwise) admits it, holding its <c>max_tokens</c> while it runs; afterwards its
/// <c>usage</c> is counted. A task the budget refuses fails with BUDGET_EXCEEDED (not retried) naming the spend.
/// Tasks of other protocols and runs without a budget pass straight through.
/// </summary>
internal sealed partial class BudgetStage(ILogger logger) : ITaskMiddleware
{
    private readonly InMemoryBudgetLedger _own = new();

    public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
    {
        if (context.Workflow.Budget is not { IsLimited: true } budget || !LlmUsage.IsLlm(context.Task)) return next(context);
        return LimitedAsync(context, next, budget);
    }

    private async ValueTask<TaskOutcome> LimitedAsync(TaskContext context, TaskDelegate next, WorkflowBudget budget)
    {
        var ledger = context.Services.GetService(typeof(IBudgetLedger)) as IBudgetLedger ?? _own;
        var reserve = LlmUsage.Count(context.Parameters["max_tokens"]) ?? 0;
        var admission = await ledger.TryReserveAsync(context.WorkflowId, budget, reserve, context.CancellationToken).ConfigureAwait(false);
        if (!admission.Admitted) return TaskOutcome.Failed(Exceeded(budget, admission.Spend));

        var outcome = TaskOutcome.Cancelled;
        try
        {
            outcome = await next(context).ConfigureAwait(false);
            return outcome;
        }
        finally
        {
            var used = outcome.IsCompleted ? LlmUsage.TotalTokens(outcome.Result) : 0;
            try
            {
                await ledger.SettleAsync(context.WorkflowId, reserve, used, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The call happened and its outcome stands; only the spend is not counted (the ledger's store failed).
                LogSettleFailed(logger, context.WorkflowId, context.Task.Id, used, ex);
            }
        }
    }

    [LoggerMessage(111, LogLevel.Error, "Run {WorkflowId}: task {TaskId}: its {Tokens} tokens could not be counted against the budget")]
    private static partial void LogSettleFailed(ILogger logger, string workflowId, string taskId, long tokens, Exception exception);

    internal static GleitzeitError Exceeded(WorkflowBudget budget, BudgetSpend spend) =>
        new(GleitzeitErrorCode.BudgetExceeded,
            $"the run's budget ({budget}) is reached: spent {spend}; this LLM task was not started. Raise 'budget:' (or --max-tokens) and retry the run with 'gleitzeit workflow retry RUN_ID'",
            new JsonObject
            {
                ["max_tokens"] = budget.MaxTokens,
                ["max_llm_calls"] = budget.MaxLlmCalls,
                ["spent_tokens"] = spend.Tokens,
                ["reserved_tokens"] = spend.ReservedTokens,
                ["llm_calls"] = spend.LlmCalls,
            });
}
