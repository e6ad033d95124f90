using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Samples;

/// <summary>
/// Human in the loop in a hosted app: the app starts examples/approval_workflow.yaml (draft → approve → send); the run
/// waits for a person, holding nothing; a person answers through the app's own HTTP endpoint
/// (<c>POST /runs/{id}/tasks/{task}/approve</c>), and the run continues. A second answer is refused with 409.
/// Here the "person" is an HttpClient of the sample itself; in your app it is a page, a chat bot, an email link.
/// </summary>
internal static class ApprovalEndpointSample
{
    public static async Task<int> RunAsync(SampleContext context)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGleitzeit().AddPython();
        await using var app = builder.Build();
        MapApprovals(app);
        await app.StartAsync();
        var baseAddress = new Uri(app.Urls.First());

        var engine = app.Services.GetRequiredService<ExecutionEngine>();
        var workflow = WorkflowLoader.LoadFile(Path.Combine(SampleContext.ExamplesDirectory, "approval_workflow.yaml"), registry: engine.Registry);
        var waiting = new TaskCompletionSource<TaskWaiting>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = await engine.SubmitAsync(workflow, new RunOptions { OnEvent = e => { if (e is TaskWaiting w) waiting.TrySetResult(w); } });
        var asked = await waiting.Task.WaitAsync(TimeSpan.FromMinutes(1));
        Console.WriteLine($"run {id} waits: {asked.Prompt}");

        // The person's answer, through the app's endpoint.
        using var http = new HttpClient { BaseAddress = baseAddress };
        var answer = await http.PostAsJsonAsync($"/runs/{id}/tasks/{asked.TaskId}/approve", new { comment = "ship it", by = "ann" });
        Console.WriteLine($"POST approve: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        var twice = await http.PostAsJsonAsync($"/runs/{id}/tasks/{asked.TaskId}/reject", new { comment = "too late", by = "bob" });
        Console.WriteLine($"POST reject again: {(int)twice.StatusCode} {await twice.Content.ReadAsStringAsync()}");

        var run = await engine.WaitAsync(id);
        Console.WriteLine($"send: {run.GetResult("send")?["result"]}");
        await app.StopAsync();
        Console.WriteLine($"approvals: {run.Status.ToString().ToLowerInvariant()}");
        return run.Status == WorkflowStatus.Completed && answer.IsSuccessStatusCode && (int)twice.StatusCode == StatusCodes.Status409Conflict ? 0 : 1;
    }

    /// <summary>The endpoints a person answers through: approve, reject, respond. Errors map to HTTP statuses and carry
    /// Gleitzeit's message (which says what is wrong and how to fix it).</summary>
    private static void MapApprovals(WebApplication app)
    {
        app.MapGet("/runs/{id}", async (string id, ExecutionEngine engine) =>
            await engine.GetRunAsync(id) is { } run
                ? Results.Ok(new { workflow_id = run.WorkflowId, status = run.Status.ToString().ToLowerInvariant(), waiting = run.Tasks.Values.Where(t => t.Status == WorkflowTaskStatus.Waiting).Select(t => t.TaskId) })
                : Results.NotFound());
        app.MapPost("/runs/{id}/tasks/{task}/approve", (string id, string task, Decision body, ExecutionEngine engine) =>
            Answer(() => engine.ApproveAsync(id, task, body.Comment, body.By)));
        app.MapPost("/runs/{id}/tasks/{task}/reject", (string id, string task, Decision body, ExecutionEngine engine) =>
            Answer(() => engine.RejectAsync(id, task, body.Comment, body.By)));
        app.MapPost("/runs/{id}/tasks/{task}/respond", async (string id, string task, HttpRequest request, ExecutionEngine engine) =>
        {
            var input = await JsonNode.ParseAsync(request.Body);
            return await Answer(() => engine.RespondAsync(id, task, input, request.Query["by"].FirstOrDefault()));
        });
    }

    private static async Task<IResult> Answer(Func<Task<TaskResult>> answer)
    {
        try
        {
            var decided = await answer();
            return Results.Text(decided.Result?.ToJsonString() ?? "null", "application/json");
        }
        catch (GleitzeitException ex)
        {
            var status = ex.Code switch
            {
                GleitzeitErrorCode.WorkflowNotFound or GleitzeitErrorCode.TaskNotFound => StatusCodes.Status404NotFound,
                GleitzeitErrorCode.HumanInputInvalid or GleitzeitErrorCode.TaskValidationFailed => StatusCodes.Status422UnprocessableEntity,
                _ => StatusCodes.Status409Conflict, // not waiting, already answered, timed out
            };
            return Results.Json(new { code = ex.Code.Name(), message = ex.Message }, statusCode: status);
        }
    }

    /// <summary>The body of approve and reject.</summary>
    private sealed record Decision(string? Comment, string? By);
}
