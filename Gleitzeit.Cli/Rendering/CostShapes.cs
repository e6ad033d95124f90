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
        var cached = run.Tasks.Values.Count(t => t.Cached);
        json["usage"] = run.Usage.ToJson();
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
        var usage = run.Usage.Total;
        var cached = run.Tasks.Values.Count(t => t.Cached);
        if (usage.Calls == 0 && cached == 0 && run.Workflow?.Budget is null) return null;
        var text = $"{usage.TotalTokens} tokens in {usage.Calls} LLM call{(usage.Calls == 1 ? "" : "s")}";
        if (cached > 0) text += $", {cached} task{(cached == 1 ? "" : "s")} from the cache";
        if (run.Workflow?.Budget is { } b) text += $" (budget: {b})";
        return text;
    }
}
