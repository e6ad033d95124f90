using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Human;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>workflow approve|reject|respond ID TASK</c>: answer a task waiting for a person, and continue the run in the
/// foreground when no live process owns it (unless <c>--detach</c>).</summary>
internal static class HumanCommands
{
    public static void AddTo(Command group)
    {
        group.Add(Create("approve", "Approve a waiting human/approval task; the run continues (here, unless another live process owns it or --detach).", HumanAnswerKind.Approve));
        group.Add(Create("reject", "Reject a waiting human/approval task: it completes with approved: false; the run continues.", HumanAnswerKind.Reject));
        group.Add(Create("respond", "Answer a waiting human/input task with a JSON value matching its schema; the run continues.", HumanAnswerKind.Respond));
    }

    private static Command Create(string name, string description, HumanAnswerKind kind)
    {
        var id = new Argument<string>("ID") { Description = "Run id (as printed by run; 'workflow list --status waiting' lists waiting runs)." };
        var task = new Argument<string>("TASK") { Description = "Id of the waiting task." };
        var comment = new Option<string?>("--comment", "-c") { Description = "A comment recorded with the decision.", HelpName = "TEXT" };
        var data = new Option<string?>("--data") { Description = "The answer: a JSON value matching the task's schema (e.g. '{\"email\": \"a@b.c\"}'; a bare word is taken as a string).", HelpName = "JSON" };
        var by = new Option<string?>("--by") { Description = "Who answers (default: the current user).", HelpName = "NAME" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Only record the answer: do not continue the run in this process." };
        var command = new Command(name, description) { id, task, by, detach };
        if (kind == HumanAnswerKind.Respond) command.Add(data);
        else command.Add(comment);
        command.SetHandler(async context =>
        {
            var workflowId = context.Parse.GetRequiredValue(id);
            var taskId = context.Parse.GetRequiredValue(task);
            var who = context.Parse.GetValue(by) ?? Environment.UserName;
            var answer = kind switch
            {
                HumanAnswerKind.Approve => HumanAnswer.Approve(context.Parse.GetValue(comment), who),
                HumanAnswerKind.Reject => HumanAnswer.Reject(context.Parse.GetValue(comment), who),
                _ => HumanAnswer.Respond(ParseData(context.Parse.GetValue(data)), who),
            };
            var detached = context.Parse.GetValue(detach);
            var services = context.GetServices();
            var runner = await services.Runners.ForRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
            if (runner is Gleitzeit.Persistence.Redis.RedisWorkflowRunner distributed)
            {
                // Queued for workers: the answer is recorded in Redis and the workers continue the run.
                var recorded = await distributed.AnswerAsync(workflowId, taskId, answer, context.CancellationToken).ConfigureAwait(false);
                var now = await distributed.GetRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
                if (context.Output.Json)
                {
                    context.Output.WriteJson(new JsonObject
                    {
                        ["workflow_id"] = workflowId,
                        ["task_id"] = taskId,
                        ["status"] = JsonShapes.Lower(recorded.Status),
                        ["result"] = recorded.Result?.DeepClone(),
                        ["run_status"] = now is null ? null : JsonShapes.Lower(now.Status),
                        ["continued_by"] = "workers",
                    });
                    return ExitCodes.Ok;
                }
                context.Output.Success(Recorded(workflowId, taskId, kind, who));
                context.Output.Line($"The run was queued for workers: they continue it. Follow it with 'gleitzeit workflow status {workflowId} --wait'.");
                return ExitCodes.Ok;
            }
            var engine = (ExecutionEngine)runner;
            var decided = await engine.AnswerAsync(workflowId, taskId, answer, continueRun: !detached, context.CancellationToken).ConfigureAwait(false);
            var output = context.Output;
            var continuesHere = !detached && engine.IsActive(workflowId);
            if (!continuesHere)
            {
                var lease = detached ? null : await services.Store.GetLeaseAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
                var stored = await engine.GetRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
                if (output.Json)
                {
                    output.WriteJson(new JsonObject
                    {
                        ["workflow_id"] = workflowId,
                        ["task_id"] = taskId,
                        ["status"] = JsonShapes.Lower(decided.Status),
                        ["result"] = decided.Result?.DeepClone(),
                        ["run_status"] = stored is null ? null : JsonShapes.Lower(stored.Status),
                        ["continued_by"] = detached ? null : lease is null ? null : $"{lease.Host}/{lease.ProcessId}",
                    });
                    return ExitCodes.Ok;
                }
                output.Success(Recorded(workflowId, taskId, kind, who));
                if (detached) output.Line($"The run continues when a process resumes it: 'gleitzeit workflow resume {workflowId}'.");
                else if (lease is not null) output.Line($"The process that owns the run (host {lease.Host}, pid {lease.ProcessId}) continues it within {services.LeaseRenewal.TotalSeconds:0} s.");
                return ExitCodes.Ok;
            }
            if (!output.Json)
            {
                output.Success(Recorded(workflowId, taskId, kind, who));
                output.Line("No other process owns the run: continuing it here (Ctrl+C leaves it waiting or interrupted, to be resumed).");
            }
            var snapshot = await engine.GetRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
            var progress = new RunProgress(output, watch: false, snapshot?.Tasks.Keys ?? [], answerHint: AnswerHint(context));
            using var stopWatching = new CancellationTokenSource();
            var watching = Task.Run(async () =>
            {
                try
                {
                    await foreach (var evt in engine.WatchAsync(workflowId, stopWatching.Token).ConfigureAwait(false)) progress.OnEvent(evt);
                }
                catch (OperationCanceledException)
                {
                    // The run ended.
                }
            });
            var run = await RunExecution.FollowAsync(context, engine, engine.WaitAsync(workflowId, CancellationToken.None), progress).ConfigureAwait(false);
            await stopWatching.CancelAsync().ConfigureAwait(false);
            await watching.ConfigureAwait(false);
            return await RunExecution.ReportAsync(context, run, null).ConfigureAwait(false);
        });
        return command;
    }

    private static string Recorded(string workflowId, string taskId, HumanAnswerKind kind, string who) => kind switch
    {
        HumanAnswerKind.Approve => $"Approved task {taskId} of run {workflowId} (by {who}).",
        HumanAnswerKind.Reject => $"Rejected task {taskId} of run {workflowId} (by {who}): it completes with approved: false.",
        _ => $"Answered task {taskId} of run {workflowId} (by {who}).",
    };

    /// <summary><c>--data</c>: JSON, or a bare word taken as a string.</summary>
    private static JsonNode? ParseData(string? text)
    {
        if (text is null) throw CliException.Invalid("respond needs the answer: --data JSON (e.g. --data '{\"email\": \"a@b.c\"}').", "'gleitzeit workflow status ID --json' shows the task's schema under its result.");
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException ex)
        {
            var trimmed = text.Trim();
            if (trimmed.Length > 0 && !"{[\"".Contains(trimmed[0], StringComparison.Ordinal) && !trimmed.Any(char.IsWhiteSpace)) return JsonValue.Create(trimmed);
            throw CliException.Invalid($"--data is not valid JSON: {ex.Message}", "Quote it for the shell, e.g. --data '{\"email\": \"a@b.c\"}'.");
        }
    }

    /// <summary>The exact commands that answer a waiting task (with the --config / --backend this command was given).</summary>
    public static Func<string, string, string, IReadOnlyList<string>> AnswerHint(CliContext context)
    {
        var prefix = "gleitzeit";
        if (context.Parse.GetValue(GlobalOptions.Config) is { Length: > 0 } config) prefix += $" --config {Quote(config)}";
        if (context.Parse.GetValue(GlobalOptions.Backend) is { Length: > 0 } backend) prefix += $" --backend {backend}";
        return (workflowId, taskId, method) => method == "human/input"
            ? [$"{prefix} workflow respond {workflowId} {Quote(taskId)} --data 'JSON'"]
            : [$"{prefix} workflow approve {workflowId} {Quote(taskId)} [--comment TEXT]", $"{prefix} workflow reject {workflowId} {Quote(taskId)} [--comment TEXT]"];
    }

    private static string Quote(string text) => text.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '[' or ']') ? text : "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
