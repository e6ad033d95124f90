namespace Gleitzeit.Core.Cost;

/// <summary>What a run has spent on LLM calls so far.</summary>
public sealed record BudgetSpend
{
    /// <summary>Tokens used by finished calls (their <c>usage.total_tokens</c>).</summary>
    public long Tokens { get; init; }

    /// <summary>Tokens held by calls in flight (their <c>max_tokens</c>), released when their usage is known.</summary>
    public long ReservedTokens { get; init; }

    /// <summary>LLM calls started.</summary>
    public int LlmCalls { get; init; }

    /// <summary>"1200 tokens in 4 LLM calls (300 more held by calls in flight)".</summary>
    public override string ToString() =>
        $"{Tokens} token{(Tokens == 1 ? "" : "s")} in {LlmCalls} LLM call{(LlmCalls == 1 ? "" : "s")}"
        + (ReservedTokens > 0 ? $" ({ReservedTokens} more held by calls in flight)" : "");
}
