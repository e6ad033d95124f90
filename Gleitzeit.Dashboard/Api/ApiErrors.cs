using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Gleitzeit.Dashboard.Api;

/// <summary>Error answers of the API: <c>{"error": {"code", "message", "hint"?}}</c> with the HTTP status that fits.</summary>
internal static class ApiErrors
{
    public static IResult NotFound(string workflowId) =>
        Json(StatusCodes.Status404NotFound, "WORKFLOW_NOT_FOUND", $"No run with id '{workflowId}'.", "List the runs with GET api/runs.");

    public static IResult TaskNotFound(string workflowId, string taskId) =>
        Json(StatusCodes.Status404NotFound, "TASK_NOT_FOUND", $"Run '{workflowId}' has no task '{taskId}'.", $"Its tasks are listed by GET api/runs/{workflowId}.");

    public static IResult BadRequest(string message, string? hint = null) => Json(StatusCodes.Status400BadRequest, "BAD_REQUEST", message, hint);

    public static IResult Conflict(string code, string message, string? hint = null) => Json(StatusCodes.Status409Conflict, code, message, hint);

    public static IResult Json(int status, string code, string message, string? hint = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        if (hint is not null) error["hint"] = hint;
        return Results.Text(new JsonObject { ["error"] = error }.ToJsonString(), "application/json; charset=utf-8", statusCode: status);
    }

    public static IResult Document(JsonNode document, int status = StatusCodes.Status200OK) =>
        Results.Text(document.ToJsonString(), "application/json; charset=utf-8", statusCode: status);
}
