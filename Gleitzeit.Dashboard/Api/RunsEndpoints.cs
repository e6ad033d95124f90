using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Human;
using Gleitzeit.Core.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Dashboard.Api;

/// <summary>The JSON API under <c>{prefix}/api</c> (routes in docs/dashboard.md).</summary>
internal static partial class RunsEndpoints
{
    /// <summary>The largest body an action request may carry.</summary>
    private const int MaxBodyBytes = 1 << 20;

    public static void Map(IEndpointRouteBuilder api, DashboardContext dashboard)
    {
        api.MapGet("/runs", (Delegate)((HttpContext http) => ListAsync(http, dashboard)));
        api.MapGet("/runs/{id}", (string id, HttpContext http) => GetAsync(id, http, dashboard));
        api.MapGet("/runs/{id}/graph", (string id, HttpContext http) => GraphAsync(id, http, dashboard));
        api.MapGet("/runs/{id}/tasks/{taskId}", (string id, string taskId, HttpContext http) => TaskAsync(id, taskId, http, dashboard));
        api.MapGet("/runs/{id}/tasks/{taskId}/result", (string id, string taskId, HttpContext http) => ResultAsync(id, taskId, http, dashboard));
        api.MapGet("/runs/{id}/events", (string id, HttpContext http) => Live.RunEventStream.ServeAsync(id, http, dashboard));
        api.MapPost("/runs/{id}/cancel", (string id, HttpContext http) => CancelAsync(id, http, dashboard));
        api.MapPost("/runs/{id}/resume", (string id, HttpContext http) => ResumeAsync(id, http, dashboard));
        api.MapPost("/runs/{id}/retry", (string id, HttpContext http) => RetryAsync(id, http, dashboard));
        api.MapPost("/runs/{id}/tasks/{taskId}/approve", (string id, string taskId, HttpContext http) => AnswerAsync(id, taskId, HumanAnswerKind.Approve, http, dashboard));
        api.MapPost("/runs/{id}/tasks/{taskId}/reject", (string id, string taskId, HttpContext http) => AnswerAsync(id, taskId, HumanAnswerKind.Reject, http, dashboard));
        api.MapPost("/runs/{id}/tasks/{taskId}/respond", (string id, string taskId, HttpContext http) => AnswerAsync(id, taskId, HumanAnswerKind.Respond, http, dashboard));
    }

    /// <summary>Approve, reject or respond to a waiting task: <c>{"comment"?, "by"?}</c> or <c>{"input", "by"?}</c>.</summary>
    private static async Task<IResult> AnswerAsync(string id, string taskId, HumanAnswerKind kind, HttpContext http, DashboardContext dashboard)
    {
        if ((RunIds.Problem("run id", id) ?? RunIds.Problem("task id", taskId)) is { } problem) return ApiErrors.BadRequest(problem);
        var verb = kind.ToString().ToLowerInvariant();
        var usage = kind == HumanAnswerKind.Respond ? "respond takes {\"input\": <the answer>, \"by\"?: \"name\"}." : $"{verb} takes {{\"comment\"?: \"text\", \"by\"?: \"name\"}} or no body.";
        var (body, bodyProblem) = await ReadBodyAsync(http).ConfigureAwait(false);
        if (bodyProblem is not null) return ApiErrors.BadRequest(bodyProblem, usage);
        body ??= [];
        string[] allowed = kind == HumanAnswerKind.Respond ? ["input", "by"] : ["comment", "by"];
        if (body.Select(kv => kv.Key).FirstOrDefault(k => !allowed.Contains(k)) is { } unknown) return ApiErrors.BadRequest($"Unknown field '{unknown}'.", usage);
        if (kind == HumanAnswerKind.Respond && !body.ContainsKey("input")) return ApiErrors.BadRequest("The body has no 'input': the answer to give.", usage);
        string? Text(string field, out string? error)
        {
            error = null;
            var node = body[field];
            if (node is null) return null;
            if (node is JsonValue v && v.TryGetValue<string>(out var text)) return text;
            error = $"'{field}' must be a string.";
            return null;
        }
        var by = Text("by", out var byError);
        if (byError is not null) return ApiErrors.BadRequest(byError, usage);
        string? comment = null;
        if (kind != HumanAnswerKind.Respond)
        {
            comment = Text("comment", out var commentError);
            if (commentError is not null) return ApiErrors.BadRequest(commentError, usage);
        }

        var ct = http.RequestAborted;
        var run = await dashboard.ReadRunAsync(id, ct).ConfigureAwait(false);
        if (run is null) return ApiErrors.NotFound(id);
        if (run.IsFinished) return Finished(run, verb);
        if (dashboard.Engine is not { } engine) return NoRunner();
        // A run queued for Redis workers is continued by them: the answer is only recorded here.
        var continueHere = ReferenceEquals(await dashboard.RunnerForAsync(id, ct).ConfigureAwait(false), engine);
        var answer = kind switch
        {
            HumanAnswerKind.Approve => HumanAnswer.Approve(comment, by),
            HumanAnswerKind.Reject => HumanAnswer.Reject(comment, by),
            _ => HumanAnswer.Respond(body["input"], by),
        };
        TaskResult decided;
        try
        {
            decided = await engine.AnswerAsync(id, taskId, answer, continueHere, ct).ConfigureAwait(false);
        }
        catch (GleitzeitException ex)
        {
            return ex.Code switch
            {
                GleitzeitErrorCode.WorkflowNotFound => ApiErrors.NotFound(id),
                GleitzeitErrorCode.TaskNotFound => ApiErrors.Json(StatusCodes.Status404NotFound, "TASK_NOT_FOUND", ex.Message),
                GleitzeitErrorCode.HumanInputInvalid or GleitzeitErrorCode.TaskValidationFailed => ApiErrors.Json(StatusCodes.Status400BadRequest, ex.Code.Name(), ex.Message),
                _ => ApiErrors.Conflict(ex.Code.Name(), ex.Message),
            };
        }
        return ApiErrors.Document(new JsonObject
        {
            ["workflow_id"] = id,
            ["task_id"] = taskId,
            ["status"] = RunDocuments.Lower(decided.Status),
            ["result"] = decided.Result?.DeepClone(),
        });
    }

    private static async Task<IResult> ListAsync(HttpContext http, DashboardContext dashboard)
    {
        var (query, limit, problem) = RunListQuery.Parse(http.Request.Query, dashboard.Options);
        if (problem is not null) return ApiErrors.BadRequest(problem, "Example: api/runs?status=running,failed&name=report&limit=50");
        var ct = http.RequestAborted;
        var found = await dashboard.Store.ListRunsAsync(query, ct).ConfigureAwait(false);
        var page = found.Take(limit).ToList();
        var now = dashboard.Time.GetUtcNow();
        var rows = new JsonArray();
        foreach (var summary in page)
        {
            // Tokens need the tasks' results: one read per listed run, so a page costs the same however many runs are stored.
            var run = await dashboard.Store.GetRunAsync(summary.WorkflowId, ct).ConfigureAwait(false);
            rows.Add(RunDocuments.Summary(summary, run, now));
        }
        return ApiErrors.Document(new JsonObject
        {
            ["runs"] = rows,
            ["next"] = found.Count > limit ? page[^1].WorkflowId : null,
        });
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, DashboardContext dashboard)
    {
        if (RunIds.Problem("run id", id) is { } problem) return ApiErrors.BadRequest(problem);
        var run = await dashboard.ReadRunAsync(id, http.RequestAborted).ConfigureAwait(false);
        return run is null ? ApiErrors.NotFound(id) : ApiErrors.Document(RunDocuments.Run(run));
    }

    private static async Task<IResult> GraphAsync(string id, HttpContext http, DashboardContext dashboard)
    {
        if (RunIds.Problem("run id", id) is { } problem) return ApiErrors.BadRequest(problem);
        var run = await dashboard.ReadRunAsync(id, http.RequestAborted).ConfigureAwait(false);
        return run is null ? ApiErrors.NotFound(id) : ApiErrors.Document(RunDocuments.Graph(run));
    }

    private static async Task<IResult> TaskAsync(string id, string taskId, HttpContext http, DashboardContext dashboard)
    {
        if ((RunIds.Problem("run id", id) ?? RunIds.Problem("task id", taskId)) is { } problem) return ApiErrors.BadRequest(problem);
        var ct = http.RequestAborted;
        var run = await dashboard.ReadRunAsync(id, ct).ConfigureAwait(false);
        if (run is null) return ApiErrors.NotFound(id);
        if (!run.Tasks.ContainsKey(taskId) && run.Workflow?.Tasks.Any(t => t.Id == taskId) != true) return ApiErrors.TaskNotFound(id, taskId);
        var history = await dashboard.Store.GetEventsAsync(id, ct).ConfigureAwait(false);
        var url = $"{dashboard.Prefix}/api/runs/{Uri.EscapeDataString(id)}/tasks/{Uri.EscapeDataString(taskId)}/result";
        return ApiErrors.Document(RunDocuments.Task(run, taskId, history, dashboard.Options, url));
    }

    private static async Task<IResult> ResultAsync(string id, string taskId, HttpContext http, DashboardContext dashboard)
    {
        if ((RunIds.Problem("run id", id) ?? RunIds.Problem("task id", taskId)) is { } problem) return ApiErrors.BadRequest(problem);
        var run = await dashboard.ReadRunAsync(id, http.RequestAborted).ConfigureAwait(false);
        if (run is null) return ApiErrors.NotFound(id);
        if (!run.Tasks.TryGetValue(taskId, out var task)) return ApiErrors.TaskNotFound(id, taskId);
        var json = task.Result is null ? "null" : task.Result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var file = SafeFileName().Replace($"{id}-{taskId}", "_") + ".json";
        return Results.File(Encoding.UTF8.GetBytes(json), "application/json", file);
    }

    private static async Task<IResult> CancelAsync(string id, HttpContext http, DashboardContext dashboard)
    {
        if (RunIds.Problem("run id", id) is { } problem) return ApiErrors.BadRequest(problem);
        if (await BodyProblemAsync(http).ConfigureAwait(false) is { } bodyProblem) return ApiErrors.BadRequest(bodyProblem, "cancel takes no body (or an empty JSON object).");
        var ct = http.RequestAborted;
        var run = await dashboard.ReadRunAsync(id, ct).ConfigureAwait(false);
        if (run is null) return ApiErrors.NotFound(id);
        if (run.IsFinished) return Finished(run, "cancel");
        var runner = await dashboard.RunnerForAsync(id, ct).ConfigureAwait(false);
        if (runner is null) return NoRunner();
        await runner.CancelAsync(id, ct).ConfigureAwait(false);
        var after = await dashboard.ReadRunAsync(id, ct).ConfigureAwait(false);
        return ApiErrors.Document(new JsonObject { ["workflow_id"] = id, ["status"] = RunDocuments.Lower(after?.Status ?? WorkflowStatus.Cancelled) });
    }

    private static async Task<IResult> ResumeAsync(string id, HttpContext http, DashboardContext dashboard)
    {
        if (RunIds.Problem("run id", id) is { } problem) return ApiErrors.BadRequest(problem);
        if (await BodyProblemAsync(http).ConfigureAwait(false) is { } bodyProblem) return ApiErrors.BadRequest(bodyProblem, "resume takes no body (or an empty JSON object).");
        var ct = http.RequestAborted;
        var run = await dashboard.Store.GetRunAsync(id, ct).ConfigureAwait(false);
        if (run is null) return ApiErrors.NotFound(id);
        if (run.IsFinished && !(run.Status == WorkflowStatus.Failed && run.Error?.Code == GleitzeitErrorCode.PersistenceWriteFailed)) return Finished(run, "resume");
        if (dashboard.Engine is not { } engine) return NoRunner();
        var runner = await dashboard.RunnerForAsync(id, ct).ConfigureAwait(false);
        if (!ReferenceEquals(runner, engine))
        {
            return ApiErrors.Conflict("WORKFLOW_QUEUED", $"Run '{id}' is executed by workers; they continue it, it is not resumed here.");
        }
        var lease = await dashboard.Store.GetLeaseAsync(id, ct).ConfigureAwait(false);
        if (lease is not null && lease.ExpiresAt > dashboard.Time.GetUtcNow())
        {
            return ApiErrors.Conflict("WORKFLOW_LEASED", $"Run '{id}' is executing in a live process ({lease.Owner} on {lease.Host}, pid {lease.ProcessId}).",
                "Wait for it, or cancel it.");
        }
        dashboard.Track(ResumeInBackgroundAsync(engine, id, dashboard.Logger));
        return ApiErrors.Document(new JsonObject { ["workflow_id"] = id, ["status"] = "running" }, StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// Retries a finished run as a new run (<see cref="ExecutionEngine.RetryAsync"/>), optionally from a task:
    /// <c>{"from": "TASK"}</c>. Answers 202 with the new run's id as soon as it started; the run goes on in the background.
    /// </summary>
    private static async Task<IResult> RetryAsync(string id, HttpContext http, DashboardContext dashboard)
    {
        if (RunIds.Problem("run id", id) is { } problem) return ApiErrors.BadRequest(problem);
        const string usage = "retry takes no body, or {\"from\": \"TASK\"} to run that task and everything downstream of it again.";
        var (body, bodyProblem) = await ReadBodyAsync(http).ConfigureAwait(false);
        if (bodyProblem is not null) return ApiErrors.BadRequest(bodyProblem, usage);
        body ??= [];
        if (body.Select(kv => kv.Key).FirstOrDefault(k => k != "from") is { } unknown) return ApiErrors.BadRequest($"Unknown field '{unknown}'.", usage);
        string? from = null;
        if (body["from"] is { } fromNode)
        {
            if (fromNode is not JsonValue v || !v.TryGetValue(out from)) return ApiErrors.BadRequest("'from' must be a string: the id of a task.", usage);
            if (RunIds.Problem("task id", from) is { } fromProblem) return ApiErrors.BadRequest(fromProblem, usage);
        }
        if (dashboard.Engine is not { } engine) return NoRunner();

        // The new run's id arrives with its first event; a refused retry ends the call before any event.
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new RunOptions { OnEvent = e => started.TrySetResult(e.WorkflowId) };
        var work = engine.RetryAsync(id, from, workflow: null, options, CancellationToken.None);
        var first = await Task.WhenAny(started.Task, work).ConfigureAwait(false);
        if (first == work && work.IsFaulted && work.Exception?.InnerException is GleitzeitException ex)
        {
            return ex.Code switch
            {
                GleitzeitErrorCode.WorkflowNotFound => ApiErrors.NotFound(id),
                GleitzeitErrorCode.WorkflowStillRunning => ApiErrors.Conflict(ex.Code.Name(), ex.Message),
                GleitzeitErrorCode.TaskNotFound => ApiErrors.Json(StatusCodes.Status400BadRequest, ex.Code.Name(), ex.Message, usage),
                _ => ApiErrors.Conflict(ex.Code.Name(), ex.Message),
            };
        }
        dashboard.Track(RetryInBackgroundAsync(work, id, dashboard.Logger));
        var newId = first == started.Task || started.Task.IsCompleted ? await started.Task.ConfigureAwait(false) : (await work.ConfigureAwait(false)).WorkflowId;
        return ApiErrors.Document(new JsonObject { ["workflow_id"] = newId, ["retry_of"] = id, ["from"] = from, ["status"] = "running" }, StatusCodes.Status202Accepted);
    }

    private static async Task RetryInBackgroundAsync(Task<WorkflowRun> work, string id, ILogger logger)
    {
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is GleitzeitException or ObjectDisposedException)
        {
            LogRetryFailed(logger, id, ex.Message);
        }
    }

    private static async Task ResumeInBackgroundAsync(ExecutionEngine engine, string id, ILogger logger)
    {
        try
        {
            await engine.ResumeAsync(id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is GleitzeitException or ObjectDisposedException)
        {
            LogResumeFailed(logger, id, ex.Message);
        }
    }

    private static IResult Finished(WorkflowRun run, string action) =>
        ApiErrors.Conflict("WORKFLOW_FINISHED", $"Run '{run.WorkflowId}' already finished ({RunDocuments.Lower(run.Status)}); there is nothing to {action}.");

    private static IResult NoRunner() =>
        ApiErrors.Conflict("NO_RUNNER", "This dashboard only reads runs: the application registered no ExecutionEngine to act on them.");

    /// <summary>An action's body must be empty or one JSON object.</summary>
    private static async Task<string?> BodyProblemAsync(HttpContext http) => (await ReadBodyAsync(http).ConfigureAwait(false)).Problem;

    /// <summary>The body as a JSON object (null when empty), or what is wrong with it.</summary>
    private static async Task<(JsonObject? Body, string? Problem)> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength is 0) return (null, null);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return (null, $"The body is larger than {MaxBodyBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0 || buffer.ToArray().All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')) return (null, null);
        try
        {
            return JsonNode.Parse(buffer.ToArray()) is JsonObject body ? (body, null) : (null, "The body is JSON but not an object.");
        }
        catch (JsonException ex)
        {
            return (null, $"The body is not valid JSON: {ex.Message}");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"[^A-Za-z0-9._-]+")]
    private static partial System.Text.RegularExpressions.Regex SafeFileName();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resuming run {WorkflowId} from the dashboard failed: {Reason}")]
    private static partial void LogResumeFailed(ILogger logger, string workflowId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retrying run {WorkflowId} from the dashboard failed: {Reason}")]
    private static partial void LogRetryFailed(ILogger logger, string workflowId, string reason);
}
