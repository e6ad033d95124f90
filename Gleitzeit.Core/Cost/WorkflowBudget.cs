namespace Gleitzeit.Core.Cost;

/// <summary>
/// What one run may spend on LLM calls (workflow key <c>budget: { max_tokens, max_llm_calls }</c>,
/// <see cref="Execution.RunOptions.Budget"/>, CLI <c>--max-tokens</c>). Tokens are counted from each LLM result's
/// <c>usage.total_tokens</c>; a call in flight holds its <c>max_tokens</c> parameter (when it gives one) until its usage is
/// known. Once the budget is reached no further LLM task starts: those fail with BUDGET_EXCEEDED, their dependents are skipped.
/// </summary>
public sealed record WorkflowBudget
{
    /// <summary>Most tokens (prompt + completion) the run's LLM calls may use; null for no token limit.</summary>
    public long? MaxTokens { get; init; }

    /// <summary>Most LLM calls the run may start; null for no call limit.</summary>
    public int? MaxLlmCalls { get; init; }

    /// <summary>Whether either limit is set.</summary>
    public bool IsLimited => MaxTokens is not null || MaxLlmCalls is not null;

    /// <summary>The problem with this budget (a limit of zero or less), or null when it is valid.</summary>
    public string? Problem() => MaxTokens is <= 0
        ? $"'max_tokens' must be a positive number of tokens, got {MaxTokens}; remove it for no token limit"
        : MaxLlmCalls is <= 0
            ? $"'max_llm_calls' must be a positive number of calls, got {MaxLlmCalls}; remove it for no call limit"
            : null;

    /// <summary>"1000 tokens, 5 LLM calls": the limits in words.</summary>
    public override string ToString() => string.Join(", ", new[]
    {
        MaxTokens is { } t ? $"{t} tokens" : null,
        MaxLlmCalls is { } c ? $"{c} LLM call{(c == 1 ? "" : "s")}" : null,
    }.Where(s => s is not null));
}
