using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
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
    private static async Task<string?> BodyProblemAsync(HttpContext http)
    {
        if (http.Request.ContentLength is 0) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return $"The body is larger than {MaxBodyBytes} bytes.";
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0 || buffer.ToArray().All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')) return null;
        try
        {
            return JsonNode.Parse(buffer.ToArray()) is JsonObject ? null : "The body is JSON but not an object.";
        }
        catch (JsonException ex)
        {
            return $"The body is not valid JSON: {ex.Message}";
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"[^A-Za-z0-9._-]+")]
    private static partial System.Text.RegularExpressions.Regex SafeFileName();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resuming run {WorkflowId} from the dashboard failed: {Reason}")]
    private static partial void LogResumeFailed(ILogger logger, string workflowId, string reason);
}
