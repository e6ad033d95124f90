using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Dashboard.Api;

/// <summary>The JSON documents of the API (documented in docs/dashboard.md). A run is the shape of
/// <c>gleitzeit workflow status --json</c>, with more fields beside it, never fewer.</summary>
internal static partial class RunDocuments
{
    /// <summary>TASK_CONDITION_FALSE: a task skipped because its <c>when</c> was false, drawn apart from one skipped by a failure.</summary>
    private const int ConditionFalseCode = -29009;

    public static string Lower(WorkflowStatus status) => status.ToString().ToLowerInvariant();

    public static string Lower(WorkflowTaskStatus status) => status.ToString().ToLowerInvariant();

    public static JsonNode? Time(DateTimeOffset? at) => at is { } t ? JsonValue.Create(t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)) : null;

    public static JsonNode? Milliseconds(TimeSpan? duration) => duration is { } d ? JsonValue.Create(Math.Round(d.TotalMilliseconds, 1)) : null;

    /// <summary>The short error of the status shape: <c>{"code","message"}</c>.</summary>
    public static JsonNode? ShortError(GleitzeitError? error) => error is null ? null : new JsonObject { ["code"] = (int)error.Code, ["message"] = error.Message };

    /// <summary>The full error: code, its name, message, a hint when the error's data has one, and the data.</summary>
    public static JsonNode? FullError(GleitzeitError? error)
    {
        if (error is null) return null;
        var obj = new JsonObject { ["code"] = (int)error.Code, ["name"] = error.CodeName, ["message"] = error.Message };
        if (error.Data is JsonObject data && data["hint"] is JsonValue hint && hint.TryGetValue<string>(out var text)) obj["hint"] = text;
        if (error.Data is not null) obj["data"] = error.Data.DeepClone();
        return obj;
    }

    /// <summary><c>workflow status --json</c>, plus <c>created_at</c>, <c>duration_ms</c>, the run's <c>error</c> and <c>usage</c>.</summary>
    public static JsonObject Run(WorkflowRun run)
    {
        var tasks = new JsonObject();
        foreach (var (id, t) in run.Tasks)
        {
            tasks[id] = new JsonObject
            {
                ["status"] = Lower(t.Status),
                ["result"] = t.Result?.DeepClone(),
                ["error"] = ShortError(t.Error),
                ["attempts"] = t.Attempts,
                ["duration_ms"] = Milliseconds(t.Duration),
            };
        }
        return new JsonObject
        {
            ["workflow_id"] = run.WorkflowId,
            ["name"] = run.Name,
            ["status"] = Lower(run.Status),
            ["started_at"] = Time(run.StartedAt),
            ["completed_at"] = Time(run.CompletedAt),
            ["tasks"] = tasks,
            ["created_at"] = Time(run.CreatedAt),
            ["duration_ms"] = Milliseconds(run.Duration),
            ["error"] = FullError(run.Error),
            ["usage"] = run.Usage.ToJson(),
            ["retry_of"] = run.RetryOf,
        };
    }

    /// <summary>One row of the runs list. <paramref name="run"/> (when read) adds token counts and the cached-task count.</summary>
    public static JsonObject Summary(WorkflowRunSummary s, WorkflowRun? run, DateTimeOffset now) => new()
    {
        ["workflow_id"] = s.WorkflowId,
        ["name"] = s.Name,
        ["status"] = Lower(s.Status),
        ["created_at"] = Time(s.CreatedAt),
        ["started_at"] = Time(s.StartedAt),
        ["completed_at"] = Time(s.CompletedAt),
        // A run still going shows how long it has been going.
        ["duration_ms"] = Milliseconds(s.StartedAt is { } started ? (s.CompletedAt ?? (s.Status is WorkflowStatus.Running ? now : null)) - started : null),
        ["task_count"] = s.TaskCount,
        ["completed_tasks"] = s.CompletedTasks,
        ["failed_tasks"] = s.FailedTasks,
        ["tokens"] = run?.Usage.Total.TotalTokens,
        ["cached_tasks"] = run is null ? null : CachedTasks(run),
    };

    /// <summary>How many of the run's tasks took their result from the result cache instead of running.</summary>
    public static int CachedTasks(WorkflowRun run) => run.Tasks.Values.Count(t => t.Cached);

    /// <summary>
    /// The run as the page draws it: one node per task of the definition (foreach items grouped under their task, with
    /// counts by state), each with its dependencies and state; tasks the definition does not name (stored by a newer
    /// engine) become nodes of their own.
    /// </summary>
    public static JsonObject Graph(WorkflowRun run)
    {
        var definition = run.Workflow?.Tasks ?? [];
        var defined = definition.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        var items = new Dictionary<string, List<(int Index, TaskResult Result)>>(StringComparer.Ordinal);
        var extra = new List<TaskResult>();
        foreach (var (id, t) in run.Tasks)
        {
            if (defined.Contains(id)) continue;
            if (ItemId().Match(id) is { Success: true } m && defined.Contains(m.Groups[1].Value))
            {
                var parent = m.Groups[1].Value;
                if (!items.TryGetValue(parent, out var list)) items[parent] = list = [];
                list.Add((int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), t));
            }
            else
            {
                extra.Add(t);
            }
        }

        var nodes = new JsonArray();
        foreach (var task in definition)
        {
            var state = run.Tasks.TryGetValue(task.Id, out var r) ? r : TaskResult.Pending(task.Id);
            var node = Node(task.Id, state);
            node["label"] = task.DisplayName;
            node["method"] = task.Method;
            node["dependencies"] = new JsonArray(task.Dependencies.Select(d => (JsonNode)JsonValue.Create(d)).ToArray());
            if (items.TryGetValue(task.Id, out var group)) node["items"] = Items(group);
            if (ChildRun(task.Method, state.Result) is { } child) node["child_run"] = child;
            nodes.Add(node);
        }
        foreach (var t in extra)
        {
            var node = Node(t.TaskId, t);
            node["label"] = t.TaskId;
            node["dependencies"] = new JsonArray();
            nodes.Add(node);
        }

        return new JsonObject
        {
            ["workflow_id"] = run.WorkflowId,
            ["name"] = run.Name,
            ["status"] = Lower(run.Status),
            ["finished"] = run.IsFinished,
            ["created_at"] = Time(run.CreatedAt),
            ["started_at"] = Time(run.StartedAt),
            ["completed_at"] = Time(run.CompletedAt),
            ["duration_ms"] = Milliseconds(run.Duration),
            ["error"] = FullError(run.Error),
            ["usage"] = run.Usage.ToJson(),
            ["retry_of"] = run.RetryOf,
            ["cached_tasks"] = CachedTasks(run),
            ["inputs"] = new JsonObject(run.Inputs.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))),
            ["nodes"] = nodes,
        };
    }

    /// <summary>The state of one node: what changes while a run executes (compared between snapshots for live updates).</summary>
    public static JsonObject Node(string id, TaskResult t)
    {
        var node = new JsonObject
        {
            ["id"] = id,
            ["status"] = Lower(t.Status),
            ["attempts"] = t.Attempts,
            ["started_at"] = Time(t.StartedAt),
            ["completed_at"] = Time(t.CompletedAt),
            ["duration_ms"] = Milliseconds(t.Duration),
            ["error"] = t.Error is null ? null : new JsonObject { ["code"] = (int)t.Error.Code, ["name"] = t.Error.CodeName, ["message"] = t.Error.Message },
        };
        if (t.Status == WorkflowTaskStatus.Skipped && t.Error is { } e && (int)e.Code == ConditionFalseCode) node["skip_reason"] = "condition";
        return node;
    }

    private static JsonObject Items(List<(int Index, TaskResult Result)> group)
    {
        group.Sort((a, b) => a.Index.CompareTo(b.Index));
        var counts = new JsonObject();
        foreach (var byStatus in group.GroupBy(i => Lower(i.Result.Status)).OrderBy(g => g.Key, StringComparer.Ordinal)) counts[byStatus.Key] = byStatus.Count();
        return new JsonObject
        {
            ["total"] = group.Count,
            ["by_status"] = counts,
            ["list"] = new JsonArray(group.Select(i => (JsonNode)Node(i.Result.TaskId, i.Result)).ToArray()),
        };
    }

    private static string? ChildRun(string method, JsonNode? result) =>
        method == "workflow/run" && result is JsonObject o && o["workflow_id"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null;

    /// <summary>Everything the task panel shows about one task.</summary>
    public static JsonObject Task(WorkflowRun run, string taskId, IReadOnlyList<StoredEvent> history, DashboardOptions options, string resultUrl)
    {
        var state = run.Tasks.TryGetValue(taskId, out var r) ? r : TaskResult.Pending(taskId);
        var parentId = ItemId().Match(taskId) is { Success: true } m ? m.Groups[1].Value : null;
        var definition = run.Workflow?.Tasks.FirstOrDefault(t => t.Id == taskId) ?? (parentId is null ? null : run.Workflow?.Tasks.FirstOrDefault(t => t.Id == parentId));
        var doc = new JsonObject
        {
            ["workflow_id"] = run.WorkflowId,
            ["task_id"] = taskId,
            ["status"] = Lower(state.Status),
            ["attempts"] = state.Attempts,
            ["started_at"] = Time(state.StartedAt),
            ["completed_at"] = Time(state.CompletedAt),
            ["duration_ms"] = Milliseconds(state.Duration),
            ["error"] = FullError(state.Error),
            ["item_of"] = parentId is not null && definition?.Id == parentId ? parentId : null,
        };
        if (definition is not null)
        {
            doc["name"] = definition.Name;
            doc["method"] = definition.Method;
            doc["protocol"] = definition.Protocol;
            doc["provider"] = definition.Provider;
            doc["dependencies"] = new JsonArray(definition.Dependencies.Select(d => (JsonNode)JsonValue.Create(d)).ToArray());
            doc["parameters"] = definition.Parameters.DeepClone();
            if (parentId is null) AddResolved(doc, run, definition.Parameters);
        }

        var text = state.Result is null ? null : state.Result.ToJsonString();
        doc["result_size"] = text?.Length ?? 0;
        if (text is not null && text.Length > options.MaxInlineResultLength)
        {
            doc["result"] = null;
            doc["result_truncated"] = true;
            doc["result_preview"] = text[..options.MaxInlineResultLength];
        }
        else
        {
            doc["result"] = state.Result?.DeepClone();
            doc["result_truncated"] = false;
        }
        doc["result_url"] = resultUrl;
        doc["usage"] = TokenUsage.FromResult(state.Result)?.ToJson();
        doc["history"] = new JsonArray(history.Where(e => e.TaskId == taskId).Select(e => (JsonNode)new JsonObject
        {
            ["status"] = e.Status,
            ["at"] = Time(e.Timestamp),
            ["attempt"] = e.Attempt,
            ["error"] = FullError(e.Error),
        }).ToArray());
        return doc;
    }

    /// <summary>The parameters with every <c>${...}</c> replaced, once every task they name has a result.</summary>
    private static void AddResolved(JsonObject doc, WorkflowRun run, JsonObject parameters)
    {
        if (!ReferenceResolver.ContainsReferences(parameters))
        {
            doc["resolved_parameters"] = parameters.DeepClone();
            return;
        }
        try
        {
            doc["resolved_parameters"] = ReferenceResolver.Resolve(parameters, reference => Lookup(run, reference));
        }
        catch (GleitzeitException ex)
        {
            doc["resolved_parameters"] = null;
            doc["resolved_parameters_note"] = ex.Message;
        }
    }

    private static JsonNode? Lookup(WorkflowRun run, Reference reference)
    {
        if (reference.IsInput && !run.Tasks.ContainsKey(Reference.InputsRoot))
        {
            var name = reference.Path.Count > 0 ? reference.Path[0].Field : null;
            if (name is null || !run.Inputs.TryGetValue(name, out var value))
            {
                throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"{reference}: unknown input '{name}'");
            }
            return ReferenceResolver.Navigate(value, reference.Path.Skip(1).ToList(), "inputs." + name);
        }
        if (!run.Tasks.TryGetValue(reference.Root, out var source) || source.Status != WorkflowTaskStatus.Completed)
        {
            throw new GleitzeitException(GleitzeitErrorCode.TaskDependencyFailed, $"{reference}: task '{reference.Root}' has no result yet");
        }
        return ReferenceResolver.Navigate(source.Result, reference.Path, reference.Root);
    }

    /// <summary>A foreach item's id: the task's id and an index, <c>research[2]</c>.</summary>
    [GeneratedRegex(@"^(.+)\[(\d+)\]$", RegexOptions.CultureInvariant)]
    private static partial Regex ItemId();

    public static string Compact(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
