namespace Gleitzeit.Core.Cost;

/// <summary>
/// Counts each run's LLM spend for the budget stage of the task pipeline: the engine's in memory, the Redis workers' in
/// Redis (shared by every worker, decided atomically). A call is admitted only while the spend, plus the tokens held by
/// calls in flight, plus its own <c>max_tokens</c>, stays within the budget.
/// </summary>
public interface IBudgetLedger
{
    /// <summary>
    /// Admits one LLM call of run <paramref name="workflowId"/> under <paramref name="budget"/>, holding
    /// <paramref name="reserveTokens"/> (its <c>max_tokens</c>, or 0) until <see cref="SettleAsync"/>; or refuses it when the
    /// budget is reached. Atomic: two calls racing for the last tokens are not both admitted.
    /// </summary>
    ValueTask<BudgetReservation> TryReserveAsync(string workflowId, WorkflowBudget budget, long reserveTokens, CancellationToken cancellationToken = default);

    /// <summary>An admitted call ended: releases its <paramref name="reservedTokens"/> and counts the <paramref name="usedTokens"/> it reported.</summary>
    ValueTask<BudgetSpend> SettleAsync(string workflowId, long reservedTokens, long usedTokens, CancellationToken cancellationToken = default);

    /// <summary>The run's spend so far (zeros for a run that made no call).</summary>
    ValueTask<BudgetSpend> GetSpendAsync(string workflowId, CancellationToken cancellationToken = default);
}
