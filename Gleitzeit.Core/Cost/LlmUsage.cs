using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Cost;

/// <summary>Reads the token usage an LLM result reports: <c>usage: { prompt_tokens, completion_tokens, total_tokens }</c>.</summary>
internal static class LlmUsage
{
    /// <summary>Whether a task is an LLM call (protocol <c>llm/…</c>): the kind a budget counts and limits.</summary>
    public static bool IsLlm(WorkflowTask task) => task.Protocol.StartsWith("llm/", StringComparison.Ordinal);

    /// <summary>Tokens used: <c>usage.total_tokens</c>, else the sum of its prompt and completion counts; 0 when it reports none.</summary>
    public static long TotalTokens(JsonNode? result)
    {
        if (result is not JsonObject obj || obj["usage"] is not JsonObject usage) return 0;
        if (Count(usage["total_tokens"]) is { } total) return total;
        return (Count(usage["prompt_tokens"]) ?? 0) + (Count(usage["completion_tokens"]) ?? 0);
    }

    /// <summary>A non-negative whole count, or null when the node is not one.</summary>
    public static long? Count(JsonNode? node)
    {
        // A value built in this process keeps its CLR type (int, long, double); one parsed from JSON converts to any.
        if (node is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.Number) return null;
        if (v.TryGetValue<int>(out var i)) return i >= 0 ? i : null;
        if (v.TryGetValue<long>(out var l)) return l >= 0 ? l : null;
        if (v.TryGetValue<double>(out var d) && double.IsFinite(d) && d >= 0 && d < long.MaxValue) return (long)d;
        if (v.TryGetValue<decimal>(out var m) && m >= 0 && m < long.MaxValue) return (long)m;
        return null;
    }
}
