using System.Collections.Concurrent;

namespace Gleitzeit.Core.Cost;

/// <summary>The budget ledger of one process (the default of <c>AddGleitzeit</c>).</summary>
public sealed class InMemoryBudgetLedger : IBudgetLedger
{
    private readonly ConcurrentDictionary<string, Account> _accounts = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public ValueTask<BudgetReservation> TryReserveAsync(string workflowId, WorkflowBudget budget, long reserveTokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentOutOfRangeException.ThrowIfNegative(reserveTokens);
        var account = _accounts.GetOrAdd(workflowId, static _ => new Account());
        lock (account)
        {
            var admitted = Admits(budget, account.Tokens, account.Reserved, account.Calls, reserveTokens);
            if (admitted)
            {
                account.Calls++;
                account.Reserved += reserveTokens;
            }
            return ValueTask.FromResult(new BudgetReservation(admitted, account.Spend()));
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetSpend> SettleAsync(string workflowId, long reservedTokens, long usedTokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        var account = _accounts.GetOrAdd(workflowId, static _ => new Account());
        lock (account)
        {
            account.Reserved = Math.Max(0, account.Reserved - reservedTokens);
            account.Tokens += Math.Max(0, usedTokens);
            return ValueTask.FromResult(account.Spend());
        }
    }

    /// <inheritdoc/>
    public ValueTask<BudgetSpend> GetSpendAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        if (!_accounts.TryGetValue(workflowId, out var account)) return ValueTask.FromResult(new BudgetSpend());
        lock (account)
        {
            return ValueTask.FromResult(account.Spend());
        }
    }

    /// <summary>The admission rule every ledger applies (the Redis one in Lua, the same way).</summary>
    internal static bool Admits(WorkflowBudget budget, long tokens, long reserved, long calls, long reserveTokens)
    {
        if (budget.MaxLlmCalls is { } maxCalls && calls >= maxCalls) return false;
        if (budget.MaxTokens is { } maxTokens && (tokens + reserved >= maxTokens || tokens + reserved + reserveTokens > maxTokens)) return false;
        return true;
    }

    private sealed class Account
    {
        public long Tokens;
        public long Reserved;
        public int Calls;

        public BudgetSpend Spend() => new() { Tokens = Tokens, ReservedTokens = Reserved, LlmCalls = Calls };
    }
}
