using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Cli.Rendering;

/// <summary>The <c>--json</c> documents of every command (documented in docs/cli.md; the run shape is ARCHITECTURE §11).</summary>
internal static class JsonShapes
{
    public static string Lower(WorkflowStatus status) => status.ToString().ToLowerInvariant();

    public static string Lower(WorkflowTaskStatus status) => status.ToString().ToLowerInvariant();

    public static JsonNode? Time(DateTimeOffset? at) => at is { } t ? JsonValue.Create(t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)) : null;

    public static JsonNode? Milliseconds(TimeSpan? duration) => duration is { } d ? JsonValue.Create(Math.Round(d.TotalMilliseconds, 1)) : null;

    public static JsonNode? Error(GleitzeitError? error) => error is null ? null : new JsonObject { ["code"] = (int)error.Code, ["message"] = error.Message };

    /// <summary><c>{"workflow_id","name","status","started_at","completed_at","parent_id","outputs":{name:value},"tasks":{id:{status,result,error,attempts,duration_ms}}}</c>.</summary>
    public static JsonObject Run(WorkflowRun run)
    {
        var tasks = new JsonObject();
        foreach (var (id, t) in run.Tasks)
        {
            var task = new JsonObject
            {
                ["status"] = Lower(t.Status),
                ["result"] = t.Result?.DeepClone(),
                ["error"] = Error(t.Error),
                ["attempts"] = t.Attempts,
                ["duration_ms"] = Milliseconds(t.Duration),
                ["cached"] = t.Cached,
            };
            AddLoop(task, t);
            tasks[id] = task;
        }
        var json = new JsonObject
        {
            ["workflow_id"] = run.WorkflowId,
            ["name"] = run.Name,
            ["status"] = Lower(run.Status),
            ["started_at"] = Time(run.StartedAt),
            ["completed_at"] = Time(run.CompletedAt),
            ["parent_id"] = run.ParentId,
            ["outputs"] = new JsonObject(run.Outputs.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))),
            ["tasks"] = tasks,
            ["usage"] = run.Usage.ToJson(),
        };
        CostShapes.AddTo(json, run);
        return json;
    }

    /// <summary>One line for a human: <c>tokens: 1234 (prompt 1000, completion 234) in 3 LLM calls; llama3.2 1200, gpt-4o 34</c>, or null when no LLM ran.</summary>
    public static string? UsageLine(RunUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var t = usage.Total;
        if (t.Calls == 0) return null;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"tokens: {t.TotalTokens} (prompt {t.PromptTokens}, completion {t.CompletionTokens}) in {t.Calls} LLM call{(t.Calls == 1 ? "" : "s")}");
        return usage.ByModel.Count > 1
            ? line + "; " + string.Join(", ", usage.ByModel.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value.TotalTokens}")))
            : line;
    }

    public static JsonObject Summary(WorkflowRunSummary s) => new()
    {
        ["workflow_id"] = s.WorkflowId,
        ["name"] = s.Name,
        ["status"] = Lower(s.Status),
        ["created_at"] = Time(s.CreatedAt),
        ["started_at"] = Time(s.StartedAt),
        ["completed_at"] = Time(s.CompletedAt),
        ["task_count"] = s.TaskCount,
        ["completed_tasks"] = s.CompletedTasks,
        ["failed_tasks"] = s.FailedTasks,
    };

    public static JsonObject Task(string workflowId, string workflowName, TaskResult t)
    {
        var task = new JsonObject
        {
            ["task_id"] = t.TaskId,
            ["workflow_id"] = workflowId,
            ["workflow_name"] = workflowName,
            ["status"] = Lower(t.Status),
            ["result"] = t.Result?.DeepClone(),
            ["error"] = Error(t.Error),
            ["attempts"] = t.Attempts,
            ["started_at"] = Time(t.StartedAt),
            ["completed_at"] = Time(t.CompletedAt),
            ["duration_ms"] = Milliseconds(t.Duration),
        };
        AddLoop(task, t);
        return task;
    }

    /// <summary>A loop task's <c>iteration</c> and <c>history</c> (every finished iteration); nothing for other tasks.</summary>
    private static void AddLoop(JsonObject task, TaskResult t)
    {
        if (t.Iteration == 0 && t.History.Count == 0) return;
        task["iteration"] = t.Iteration;
        task["history"] = new JsonArray(t.History.Select(h => (JsonNode)new JsonObject
        {
            ["iteration"] = h.Number,
            ["result"] = h.Result?.DeepClone(),
            ["attempts"] = h.Attempts,
            ["started_at"] = Time(h.StartedAt),
            ["completed_at"] = Time(h.CompletedAt),
        }).ToArray());
    }

    /// <summary>
    /// A task's status for people: <c>skipped (condition false)</c> for a task its <c>when</c> (or a skip above it)
    /// left out, the iteration of a loop task (<c>running, iteration 2/5</c>, <c>completed after 3 iterations</c>).
    /// </summary>
    public static string StatusText(TaskResult t, WorkflowTask? definition)
    {
        var status = Lower(t.Status);
        if (t.Status == WorkflowTaskStatus.Skipped && t.Error?.Code == GleitzeitErrorCode.TaskConditionFalse) return "skipped (condition false)";
        if (definition?.Loop is not { } loop || t.Iteration == 0) return status;
        return t.Status switch
        {
            WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed =>
                $"{status} after {t.History.Count} iteration{(t.History.Count == 1 ? "" : "s")}",
            WorkflowTaskStatus.Pending or WorkflowTaskStatus.Skipped or WorkflowTaskStatus.Cancelled when t.History.Count == 0 => status,
            _ => $"{status}, iteration {t.Iteration}/{loop.MaxIterations}",
        };
    }

    /// <summary>A short text for a result: an LLM's response, python's result, else compact JSON.</summary>
    public static string Describe(JsonNode? result)
    {
        if (result is null) return "";
        if (result is JsonObject o)
        {
            foreach (var field in new[] { "response", "result", "text", "output" })
            {
                if (o.TryGetPropertyValue(field, out var v) && v is not null)
                {
                    return v is JsonValue value && value.TryGetValue<string>(out var s) ? s : Output.ToHumanJson(v);
                }
            }
        }
        return result is JsonValue jv && jv.TryGetValue<string>(out var text) ? text : Output.ToHumanJson(result);
    }

    public static string Duration(TimeSpan? d) => d is not { } v ? "" : v.TotalSeconds >= 1 ? $"{v.TotalSeconds:0.0}s" : $"{v.TotalMilliseconds:0}ms";
}
