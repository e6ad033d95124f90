using Gleitzeit.Core.Cost;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// Run budgets in Redis, so every worker (and the engine) of a run counts against one spend: a hash per run
/// (<c>run:{ID}:budget</c>: tokens, reserved, calls), admitted and settled by Lua scripts, atomically.
/// </summary>
public sealed class RedisBudgetLedger : IBudgetLedger
{
    // KEYS[1] budget hash; ARGV: max_tokens (-1 none), max_calls (-1 none), reserve. Returns {admitted, tokens, reserved, calls}.
    private const string ReserveScript = """
        local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0')
        local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
        local calls = tonumber(redis.call('HGET', KEYS[1], 'calls') or '0')
        local maxTokens = tonumber(ARGV[1])
        local maxCalls = tonumber(ARGV[2])
        local reserve = tonumber(ARGV[3])
        local admitted = 1
        if maxCalls >= 0 and calls >= maxCalls then admitted = 0 end
        if maxTokens >= 0 and (tokens + reserved >= maxTokens or tokens + reserved + reserve > maxTokens) then admitted = 0 end
        if admitted == 1 then
            calls = redis.call('HINCRBY', KEYS[1], 'calls', 1)
            reserved = redis.call('HINCRBY', KEYS[1], 'reserved', reserve)
            redis.call('HSETNX', KEYS[1], 'tokens', 0)
            redis.call('PEXPIRE', KEYS[1], 2592000000)
        end
        return {admitted, tokens, reserved, calls}
        """;

    // KEYS[1] budget hash; ARGV: minus the reserved tokens to release, tokens used. Returns {tokens, reserved, calls}.
    private const string SettleScript = """
        local reserved = redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
        if reserved < 0 then redis.call('HSET', KEYS[1], 'reserved', 0); reserved = 0 end
        local tokens = redis.call('HINCRBY', KEYS[1], 'tokens', tonumber(ARGV[2]))
        local calls = tonumber(redis.call('HGET', KEYS[1], 'calls') or '0')
        return {tokens, reserved, calls}
        """;

    private readonly RedisConnection _connection;

    /// <summary>Uses the connection and key prefix of <paramref name="store"/>.</summary>
    public RedisBudgetLedger(RedisWorkflowStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _connection = store.Connection;
    }

    /// <inheritdoc/>
    public async ValueTask<BudgetReservation> TryReserveAsync(string workflowId, WorkflowBudget budget, long reserveTokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentOutOfRangeException.ThrowIfNegative(reserveTokens);
        var result = (RedisValue[])(await _connection.RunAsync(db => db.ScriptEvaluateAsync(ReserveScript, [_connection.Keys.Budget(workflowId)],
            [budget.MaxTokens ?? -1, budget.MaxLlmCalls ?? -1, reserveTokens]), "reserving budget", cancellationToken).ConfigureAwait(false))!;
        return new BudgetReservation((long)result[0] == 1, new BudgetSpend { Tokens = (long)result[1], ReservedTokens = (long)result[2], LlmCalls = (int)(long)result[3] });
    }

    /// <inheritdoc/>
    public async ValueTask<BudgetSpend> SettleAsync(string workflowId, long reservedTokens, long usedTokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        var result = (RedisValue[])(await _connection.RunAsync(db => db.ScriptEvaluateAsync(SettleScript, [_connection.Keys.Budget(workflowId)],
            [-Math.Max(0, reservedTokens), Math.Max(0, usedTokens)]), "settling budget", cancellationToken).ConfigureAwait(false))!;
        return new BudgetSpend { Tokens = (long)result[0], ReservedTokens = (long)result[1], LlmCalls = (int)(long)result[2] };
    }

    /// <inheritdoc/>
    public async ValueTask<BudgetSpend> GetSpendAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        var values = await _connection.RunAsync(db => db.HashGetAsync(_connection.Keys.Budget(workflowId), ["tokens", "reserved", "calls"]), "reading budget", cancellationToken).ConfigureAwait(false);
        return new BudgetSpend
        {
            Tokens = values[0].HasValue ? (long)values[0] : 0,
            ReservedTokens = values[1].HasValue ? (long)values[1] : 0,
            LlmCalls = values[2].HasValue ? (int)values[2] : 0,
        };
    }
}
