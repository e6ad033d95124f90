using System.Text.Json.Nodes;

namespace Gleitzeit.Dashboard.Api;

/// <summary>Tokens of one LLM result (its <c>usage</c> object, or the older top-level <c>prompt_tokens</c> /
/// <c>completion_tokens</c>), or a sum of them.</summary>
internal sealed record TokenUsage(long Prompt, long Completion, long Total, string? Model = null)
{
    public IReadOnlyDictionary<string, TokenUsage>? ByModel { get; init; }

    public TokenUsage Add(TokenUsage other) => this with { Prompt = Prompt + other.Prompt, Completion = Completion + other.Completion, Total = Total + other.Total };

    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["prompt_tokens"] = Prompt, ["completion_tokens"] = Completion, ["total_tokens"] = Total };
        if (ByModel is not null) obj["by_model"] = new JsonObject(ByModel.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.ToJson())));
        return obj;
    }

    public static TokenUsage? Of(JsonNode? result)
    {
        if (result is not JsonObject o) return null;
        var source = o["usage"] as JsonObject ?? o;
        var prompt = Number(source["prompt_tokens"]);
        var completion = Number(source["completion_tokens"]);
        var total = Number(source["total_tokens"]);
        if (prompt is null && completion is null && total is null) return null;
        var model = o["model"] is JsonValue m && m.TryGetValue<string>(out var name) ? name : null;
        return new TokenUsage(prompt ?? 0, completion ?? 0, total ?? (prompt ?? 0) + (completion ?? 0), model);
    }

    private static long? Number(JsonNode? node)
    {
        // Any number, however it was built (parsed JSON, or an int / long / double value from code).
        if (node is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.Number) return null;
        return decimal.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && d >= 0 && d < long.MaxValue
            ? (long)d
            : null;
    }
}
