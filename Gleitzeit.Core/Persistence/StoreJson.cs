using System.Globalization;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Persistence;

/// <summary>
/// The JSON forms durable stores keep: a workflow definition, a task state, an error. Stable snake_case field names,
/// so a database written by one version is read by the next.
/// </summary>
public static class StoreJson
{
    /// <summary>A workflow definition as stored JSON.</summary>
    public static JsonObject ToJson(Workflow workflow) => new()
    {
        ["id"] = workflow.Id,
        ["name"] = workflow.Name,
        ["description"] = workflow.Description,
        ["version"] = workflow.Version,
        ["timeout_ms"] = workflow.Timeout?.TotalMilliseconds,
        ["max_concurrency"] = workflow.MaxConcurrency,
        ["base_directory"] = workflow.BaseDirectory,
        ["inputs"] = new JsonObject(workflow.Inputs.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))),
        ["tasks"] = new JsonArray(workflow.Tasks.Select(t => (JsonNode)ToJson(t)).ToArray()),
        ["budget"] = workflow.Budget is { } b ? new JsonObject { ["max_tokens"] = b.MaxTokens, ["max_llm_calls"] = b.MaxLlmCalls } : null,
        ["cache"] = CacheJson(workflow.Cache),
        ["cache_disabled"] = workflow.CacheDisabled ? true : null,
        ["retry_of"] = workflow.RetryOf,
        ["outputs"] = workflow.Outputs.Count == 0 ? null : new JsonObject(workflow.Outputs.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
    };

    private static JsonNode? CacheJson(Cost.TaskCachePolicy? policy) =>
        policy is null ? null : new JsonObject { ["enabled"] = policy.Enabled, ["ttl_ms"] = policy.Ttl?.TotalMilliseconds };

    private static Cost.TaskCachePolicy? CacheFromJson(JsonNode? node) =>
        node is JsonObject c ? new Cost.TaskCachePolicy { Enabled = (bool?)c["enabled"] ?? true, Ttl = Ms(c["ttl_ms"]) } : null;

    /// <summary>A task definition as stored JSON.</summary>
    public static JsonObject ToJson(WorkflowTask task)
    {
        var obj = new JsonObject
        {
            ["id"] = task.Id,
            ["name"] = task.Name,
            ["protocol"] = task.Protocol,
            ["method"] = task.Method,
            ["parameters"] = task.Parameters.DeepClone(),
            ["dependencies"] = new JsonArray(task.Dependencies.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
            ["priority"] = task.Priority,
            ["timeout_ms"] = task.Timeout?.TotalMilliseconds,
            ["provider"] = task.Provider,
        };
        if (task.Cache is { } cache) obj["cache"] = CacheJson(cache);
        if (task.ForEach is not null) obj["foreach"] = task.ForEach.DeepClone();
        if (task.MaxConcurrency is not null) obj["max_concurrency"] = task.MaxConcurrency;
        if (task.When is not null) obj["when"] = task.When;
        if (task.Join != JoinMode.All) obj["join"] = task.Join == JoinMode.Any ? "any" : "all";
        if (task.Loop is { } loop)
        {
            obj["loop"] = new JsonObject
            {
                ["until"] = loop.Until,
                ["max_iterations"] = loop.MaxIterations,
                ["on_exhausted"] = loop.OnExhausted == LoopExhaustedAction.Complete ? "complete" : "fail",
            };
        }
        if (task.Retry is { } r)
        {
            obj["retry"] = new JsonObject
            {
                ["max_attempts"] = r.MaxAttempts,
                ["initial_delay_ms"] = r.InitialDelay.TotalMilliseconds,
                ["backoff_factor"] = r.BackoffFactor,
                ["max_delay_ms"] = r.MaxDelay.TotalMilliseconds,
                ["jitter"] = r.Jitter,
            };
        }
        return obj;
    }

    /// <summary>Reads a workflow definition written by <see cref="ToJson(Workflow)"/>.</summary>
    public static Workflow WorkflowFromJson(JsonObject obj) => new()
    {
        Id = (string?)obj["id"] ?? "",
        Name = (string?)obj["name"] ?? "",
        Description = (string?)obj["description"],
        Version = (string?)obj["version"],
        Timeout = Ms(obj["timeout_ms"]),
        MaxConcurrency = (int?)obj["max_concurrency"],
        BaseDirectory = (string?)obj["base_directory"],
        Inputs = (obj["inputs"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone()) ?? new Dictionary<string, JsonNode?>(),
        Tasks = (obj["tasks"] as JsonArray)?.Select(t => TaskFromJson((JsonObject)t!)).ToList() ?? [],
        Budget = obj["budget"] is JsonObject b ? new Cost.WorkflowBudget { MaxTokens = (long?)b["max_tokens"], MaxLlmCalls = (int?)b["max_llm_calls"] } : null,
        Cache = CacheFromJson(obj["cache"]),
        CacheDisabled = (bool?)obj["cache_disabled"] ?? false,
        RetryOf = (string?)obj["retry_of"],
        Outputs = (obj["outputs"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => (string?)kv.Value ?? "", StringComparer.Ordinal) ?? new Dictionary<string, string>(),
    };

    /// <summary>Reads a task definition written by <see cref="ToJson(WorkflowTask)"/>.</summary>
    public static WorkflowTask TaskFromJson(JsonObject obj) => new()
    {
        Id = (string)obj["id"]!,
        Name = (string?)obj["name"],
        Protocol = (string)obj["protocol"]!,
        Method = (string)obj["method"]!,
        Parameters = (JsonObject?)obj["parameters"]?.DeepClone() ?? new JsonObject(),
        Dependencies = (obj["dependencies"] as JsonArray)?.Select(d => (string)d!).ToList() ?? [],
        Priority = (int?)obj["priority"] ?? TaskPriority.Normal,
        Timeout = Ms(obj["timeout_ms"]),
        Provider = (string?)obj["provider"],
        Cache = CacheFromJson(obj["cache"]),
        ForEach = obj["foreach"]?.DeepClone(),
        MaxConcurrency = (int?)obj["max_concurrency"],
        When = (string?)obj["when"],
        Join = (string?)obj["join"] == "any" ? JoinMode.Any : JoinMode.All,
        Loop = obj["loop"] is JsonObject l
            ? new TaskLoop
            {
                Until = (string?)l["until"] ?? "",
                MaxIterations = (int?)l["max_iterations"] ?? 1,
                OnExhausted = (string?)l["on_exhausted"] == "complete" ? LoopExhaustedAction.Complete : LoopExhaustedAction.Fail,
            }
            : null,
        Retry = obj["retry"] is JsonObject r
            ? new RetryPolicy
            {
                MaxAttempts = (int?)r["max_attempts"] ?? 1,
                InitialDelay = Ms(r["initial_delay_ms"]) ?? TimeSpan.Zero,
                BackoffFactor = (double?)r["backoff_factor"] ?? 2.0,
                MaxDelay = Ms(r["max_delay_ms"]) ?? TimeSpan.FromSeconds(60),
                Jitter = (bool?)r["jitter"] ?? true,
            }
            : null,
    };

    /// <summary>A task's state (status, result, error, attempts, times) as stored JSON.</summary>
    public static JsonObject ToJson(TaskResult task)
    {
        var obj = new JsonObject
        {
            ["task_id"] = task.TaskId,
            ["status"] = StatusName(task.Status),
            ["result"] = task.Result?.DeepClone(),
            ["error"] = task.Error?.ToJson(),
            ["attempts"] = task.Attempts,
            ["started_at"] = task.StartedAt?.ToString("O", CultureInfo.InvariantCulture),
            ["completed_at"] = task.CompletedAt?.ToString("O", CultureInfo.InvariantCulture),
        };
        if (task.Iteration > 0) obj["iteration"] = task.Iteration;
        if (task.History.Count > 0) obj["history"] = ToJson(task.History);
        if (task.Cached) obj["cached"] = true;
        return obj;
    }

    /// <summary>Reads a task state written by <see cref="ToJson(TaskResult)"/>.</summary>
    public static TaskResult TaskResultFromJson(JsonObject obj) => new()
    {
        TaskId = (string)obj["task_id"]!,
        Status = ParseTaskStatus((string)obj["status"]!),
        Result = obj["result"]?.DeepClone(),
        Error = obj["error"] is JsonObject e ? ErrorFromJson(e) : null,
        Attempts = (int?)obj["attempts"] ?? 0,
        StartedAt = Time(obj["started_at"]),
        CompletedAt = Time(obj["completed_at"]),
        Cached = (bool?)obj["cached"] ?? false,
        Iteration = (int?)obj["iteration"] ?? 0,
        History = HistoryFromJson(obj["history"]),
    };

    /// <summary>A loop task's iterations: <c>[{"iteration","result","attempts","started_at","completed_at"}]</c>.</summary>
    public static JsonArray ToJson(IReadOnlyList<TaskIteration> history) => new(history.Select(h => (JsonNode)new JsonObject
    {
        ["iteration"] = h.Number,
        ["result"] = h.Result?.DeepClone(),
        ["attempts"] = h.Attempts,
        ["started_at"] = h.StartedAt?.ToString("O", CultureInfo.InvariantCulture),
        ["completed_at"] = h.CompletedAt?.ToString("O", CultureInfo.InvariantCulture),
    }).ToArray());

    /// <summary>Reads what <see cref="ToJson(IReadOnlyList{TaskIteration})"/> wrote; anything else (an empty object from a Lua round trip) is no history.</summary>
    public static IReadOnlyList<TaskIteration> HistoryFromJson(JsonNode? node) => node is JsonArray a
        ? a.OfType<JsonObject>().Select(h => new TaskIteration((int?)h["iteration"] ?? 0, h["result"]?.DeepClone(), (int?)h["attempts"] ?? 0, Time(h["started_at"]), Time(h["completed_at"]))).ToList()
        : [];

    /// <summary>Reads an error stored as <c>{code, message, data}</c>.</summary>
    public static GleitzeitError ErrorFromJson(JsonObject obj) =>
        new((GleitzeitErrorCode)((int?)obj["code"] ?? (int)GleitzeitErrorCode.InternalError), (string?)obj["message"] ?? "", obj["data"]?.DeepClone());

    /// <summary>Lower-case status names as the CLI and the original print them (<c>completed</c>).</summary>
    public static string StatusName(WorkflowTaskStatus status) => status switch
    {
        // Literals, not ToString().ToLowerInvariant(): every stored state and event takes one, and a new string each
        // time would be kept for as long as the run is.
        WorkflowTaskStatus.Pending => "pending",
        WorkflowTaskStatus.Queued => "queued",
        WorkflowTaskStatus.Running => "running",
        WorkflowTaskStatus.Completed => "completed",
        WorkflowTaskStatus.Failed => "failed",
        WorkflowTaskStatus.Skipped => "skipped",
        WorkflowTaskStatus.Cancelled => "cancelled",
        WorkflowTaskStatus.Retrying => "retrying",
        WorkflowTaskStatus.Waiting => "waiting",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>A run status as stored: its lower-case name.</summary>
    public static string StatusName(WorkflowStatus status) => status switch
    {
        WorkflowStatus.Pending => "pending",
        WorkflowStatus.Running => "running",
        WorkflowStatus.Completed => "completed",
        WorkflowStatus.Failed => "failed",
        WorkflowStatus.Cancelled => "cancelled",
        WorkflowStatus.Interrupted => "interrupted",
        WorkflowStatus.Waiting => "waiting",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses a stored task status (case-insensitive).</summary>
    public static WorkflowTaskStatus ParseTaskStatus(string text) => Enum.Parse<WorkflowTaskStatus>(text, ignoreCase: true);

    /// <summary>Parses a stored run status (case-insensitive).</summary>
    public static WorkflowStatus ParseWorkflowStatus(string text) => Enum.Parse<WorkflowStatus>(text, ignoreCase: true);

    private static TimeSpan? Ms(JsonNode? node) => node is null ? null : TimeSpan.FromMilliseconds((double)node);

    private static DateTimeOffset? Time(JsonNode? node) =>
        node is null ? null : DateTimeOffset.Parse((string)node!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
