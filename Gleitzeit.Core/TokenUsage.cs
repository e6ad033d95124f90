using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>
/// Tokens spent by LLM calls: the sum of the <c>usage</c> fields (<c>prompt_tokens</c>, <c>completion_tokens</c>,
/// <c>total_tokens</c>) of LLM task results, and how many results were counted.
/// </summary>
public sealed record TokenUsage(long PromptTokens, long CompletionTokens, long TotalTokens, int Calls)
{
    /// <summary>Nothing spent.</summary>
    public static TokenUsage Zero { get; } = new(0, 0, 0, 0);

    /// <summary>The sum of two usages.</summary>
    public TokenUsage Add(TokenUsage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(PromptTokens + other.PromptTokens, CompletionTokens + other.CompletionTokens, TotalTokens + other.TotalTokens, Calls + other.Calls);
    }

    /// <summary>The <c>usage</c> object of an LLM result (<c>{prompt_tokens, completion_tokens, total_tokens}</c>), or null when it has none.</summary>
    public static TokenUsage? FromResult(JsonNode? result)
    {
        if (result is not JsonObject o || o["usage"] is not JsonObject u) return null;
        var prompt = Read(u["prompt_tokens"]);
        var completion = Read(u["completion_tokens"]);
        var total = u["total_tokens"] is null ? prompt + completion : Read(u["total_tokens"]);
        return new(prompt, completion, total, 1);
    }

    /// <summary>As JSON: <c>{"prompt_tokens", "completion_tokens", "total_tokens", "calls"}</c>.</summary>
    public JsonObject ToJson() => new()
    {
        ["prompt_tokens"] = PromptTokens,
        ["completion_tokens"] = CompletionTokens,
        ["total_tokens"] = TotalTokens,
        ["calls"] = Calls,
    };

    private static long Read(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
        && double.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && d > 0
            ? (long)d
            : 0;
}
