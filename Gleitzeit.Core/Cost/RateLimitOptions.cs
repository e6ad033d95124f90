namespace Gleitzeit.Core.Cost;

/// <summary>
/// Rate limits of one LLM provider (<c>rate_limit: { requests_per_minute, tokens_per_minute }</c> in the CLI configuration,
/// <c>LlmOptions.RateLimit</c> / <c>OllamaOptions.RateLimit</c> in code). Over a limit a task waits — without holding a
/// slot — and runs when the limit allows; it never fails for it. Each limit is a token bucket holding one second's worth
/// (at least one), refilled continuously, as providers enforce per-minute limits over short windows: 120 requests per
/// minute lets two requests start at once and then one every half second. On Redis the buckets are shared by every worker.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Most LLM calls started per minute; null for no request limit.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>
    /// Most tokens (prompt + completion, from each result's <c>usage</c>) per minute; null for no token limit. A call starts
    /// when the bucket holds its <c>max_tokens</c> (at most one second's worth; 1 when it names none); what it used beyond
    /// that is taken from the bucket afterwards, delaying later calls.
    /// </summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>Whether either limit is set.</summary>
    public bool IsLimited => RequestsPerMinute is not null || TokensPerMinute is not null;

    /// <summary>The problems with these limits (a limit of zero or less), empty when valid.</summary>
    public IEnumerable<string> Problems(string where)
    {
        if (RequestsPerMinute is <= 0) yield return $"{where}.requests_per_minute must be at least 1, got {RequestsPerMinute} (leave it out for no request limit)";
        if (TokensPerMinute is <= 0) yield return $"{where}.tokens_per_minute must be at least 1, got {TokensPerMinute} (leave it out for no token limit)";
    }

    internal RateLimitOptions Clone() => (RateLimitOptions)MemberwiseClone();
}
