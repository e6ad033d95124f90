using System.Text.Json.Nodes;
using Gleitzeit.Core;

namespace Gleitzeit.Cli.Rendering;

/// <summary>
/// The cost fields of a run's <c>--json</c>: <c>usage</c> (tokens the run's LLM calls reported, cache hits excluded, also by
/// model), <c>cached_tasks</c>, <c>budget</c> (the limits and the spend against them) and <c>retry_of</c>.
/// </summary>
internal static class CostShapes
{
    public static void AddTo(JsonObject json, WorkflowRun run)
    {
        long prompt = 0, completion = 0, total = 0;
        var calls = 0;
        var byModel = new SortedDictionary<string, (long Total, int Calls)>(StringComparer.Ordinal);
        var cached = 0;
        foreach (var t in run.Tasks.Values)
        {
            if (t.Cached) cached++;
            if (t.Cached || t.Status != WorkflowTaskStatus.Completed || t.Result is not JsonObject r || r["usage"] is not JsonObject u) continue;
            var p = Count(u["prompt_tokens"]);
            var c = Count(u["completion_tokens"]);
            var sum = Count(u["total_tokens"]) is var s && s > 0 ? s : p + c;
            prompt += p;
            completion += c;
            total += sum;
            calls++;
            var model = r["model"] is JsonValue m && m.TryGetValue<string>(out var name) ? name : "unknown";
            var before = byModel.GetValueOrDefault(model);
            byModel[model] = (before.Total + sum, before.Calls + 1);
        }
        var models = new JsonObject();
        foreach (var (model, (sum, n)) in byModel) models[model] = new JsonObject { ["total_tokens"] = sum, ["llm_calls"] = n };
        json["usage"] = new JsonObject
        {
            ["prompt_tokens"] = prompt,
            ["completion_tokens"] = completion,
            ["total_tokens"] = total,
            ["llm_calls"] = calls,
            ["by_model"] = models,
        };
        json["cached_tasks"] = cached;
        json["budget"] = run.Workflow?.Budget is { } budget
            ? new JsonObject
            {
                ["max_tokens"] = budget.MaxTokens,
                ["max_llm_calls"] = budget.MaxLlmCalls,
                ["exceeded"] = run.Tasks.Values.Any(t => t.Error?.Code == GleitzeitErrorCode.BudgetExceeded),
            }
            : null;
        json["retry_of"] = run.RetryOf;
    }

    /// <summary>"1234 tokens in 3 LLM calls, 2 cached": a line for the human output, or null when there is nothing to say.</summary>
    public static string? Line(WorkflowRun run)
    {
        var json = new JsonObject();
        AddTo(json, run);
        var usage = json["usage"]!;
        var calls = (int)usage["llm_calls"]!;
        var cached = (int)json["cached_tasks"]!;
        if (calls == 0 && cached == 0 && run.Workflow?.Budget is null) return null;
        var text = $"{(long)usage["total_tokens"]!} tokens in {calls} LLM call{(calls == 1 ? "" : "s")}";
        if (cached > 0) text += $", {cached} task{(cached == 1 ? "" : "s")} from the cache";
        if (run.Workflow?.Budget is { } b) text += $" (budget: {b})";
        return text;
    }

    private static long Count(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && double.TryParse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture, out var d) && d > 0 ? (long)d : 0;
}
