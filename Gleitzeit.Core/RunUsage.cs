using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>The tokens a run's LLM tasks spent: in total and by model (from each result's <c>usage</c> and <c>model</c>).</summary>
public sealed record RunUsage(TokenUsage Total, IReadOnlyDictionary<string, TokenUsage> ByModel)
{
    /// <summary>Sums the <c>usage</c> of every task result that has one (foreach items each count; their parent holds no usage of its own).</summary>
    public static RunUsage FromResults(IEnumerable<JsonNode?> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var total = TokenUsage.Zero;
        var byModel = new SortedDictionary<string, TokenUsage>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            if (TokenUsage.FromResult(result) is not { } usage) continue;
            total = total.Add(usage);
            var model = result?["model"] is JsonValue m && m.TryGetValue<string>(out var name) && name.Length > 0 ? name : "(unknown)";
            byModel[model] = byModel.TryGetValue(model, out var sum) ? sum.Add(usage) : usage;
        }
        return new(total, byModel);
    }

    /// <summary>As JSON: the totals plus <c>by_model</c>: <c>{"prompt_tokens", "completion_tokens", "total_tokens", "calls", "by_model": {MODEL: {...}}}</c>.</summary>
    public JsonObject ToJson()
    {
        var json = Total.ToJson();
        var models = new JsonObject();
        foreach (var (model, usage) in ByModel) models[model] = usage.ToJson();
        json["by_model"] = models;
        return json;
    }
}
