using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>run FILE</c> and <c>workflow submit|status|list|resume|cancel</c>.</summary>
internal static class WorkflowCommands
{
    public static Command CreateGroup()
    {
        var group = new Command("workflow", "Submit workflows and inspect or control their runs.");
        group.Add(CreateRun("submit", "Run a workflow file (to completion unless --detach; same as 'run')."));
        group.Add(CreateStatus());
        group.Add(CreateList());
        group.Add(CreateResume());
        group.Add(CreateCancel());
        group.Add(GraphCommand.Create());
        HumanCommands.AddTo(group);
        return group;
    }

    public static Command CreateRun(string name, string description)
    {
        var file = new Argument<string>("FILE") { Description = "Workflow YAML file." };
        var inputs = new Option<string[]>("--input", "-i") { Description = "Workflow input NAME=VALUE (repeatable); JSON values keep their type.", HelpName = "NAME=VALUE", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "Also write the run's JSON to this file.", HelpName = "FILE" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Print streamed tokens and output lines as tasks produce them (plain output)." };
        var detach = new Option<bool>("--detach", "-d") { Description = "Do not stay: with the redis backend, queue the run for 'gleitzeit worker' processes and return its id at once; otherwise run it here until it finishes or waits for a person, then leave it stored waiting." };
        var command = new Command(name, description) { file, inputs, output, watch, detach };
        command.SetHandler(async context =>
        {
            var path = context.Parse.GetRequiredValue(file);
            var values = Arguments.ParsePairs(context.Parse.GetValue(inputs), "--input");
            if (context.Parse.GetValue(detach) && context.Settings.Backend != "redis")
            {
                if (context.Settings.Backend == "memory")
                {
                    throw CliException.Invalid("--detach leaves the run stored for later, and the memory backend keeps nothing once this process ends.",
                        "Use the sqlite (default) or redis backend, or run without --detach.");
                }
                var local = RunExecution.LoadWorkflow(context, path);
                return await RunExecution.RunAsync(context, local, values, context.Parse.GetValue(output), context.Parse.GetValue(watch), leaveWhenWaiting: true).ConfigureAwait(false);
            }
            if (context.Parse.GetValue(detach))
            {
                var queued = RunExecution.LoadWorkflow(context, path);
                var runner = context.GetServices().Runners.Distributed;
                var workflowId = await runner.SubmitAsync(queued, new RunOptions { Inputs = values }, context.CancellationToken).ConfigureAwait(false);
                var state = await runner.GetRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
                var status = state is null ? "pending" : JsonShapes.Lower(state.Status);
                if (context.Output.Json) context.Output.WriteJson(new JsonObject { ["workflow_id"] = workflowId, ["status"] = status });
                else
                {
                    context.Output.Line($"Queued run {workflowId} ({queued.Name}, {queued.Tasks.Count} tasks) for 'gleitzeit worker' processes.");
                    context.Output.Line($"Follow it with: gleitzeit workflow status {workflowId} --wait");
                }
                return ExitCodes.Ok;
            }
            var workflow = RunExecution.LoadWorkflow(context, path);
            return await RunExecution.RunAsync(context, workflow, values, context.Parse.GetValue(output), context.Parse.GetValue(watch)).ConfigureAwait(false);
        });
        return command;
    }

    private static Command CreateStatus()
    {
        var id = new Argument<string>("ID") { Description = "Run id (as printed by run, or listed by 'workflow list')." };
        var wait = new Option<bool>("--wait") { Description = "Wait until the run has finished (a run queued for workers; redis backend)." };
        var command = new Command("status", "Show a run: its status and every task's state and result.") { id, wait };
        command.SetHandler(async context =>
        {
            var workflowId = context.Parse.GetRequiredValue(id);
            var runner = await context.GetServices().Runners.ForRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
            var run = await runner.GetRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false)
                ?? throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}' in the {context.Settings.Backend} store.");
            if (context.Parse.GetValue(wait) && !run.IsFinished)
            {
                // The engine of this process runs nothing yet: a run it owns is another gleitzeit process's.
                if (runner is ExecutionEngine)
                {
                    throw CliException.Invalid($"Run {workflowId} is not queued for workers, so nothing here can wait for it: it runs (or ran) inside another gleitzeit process.",
                        $"If that process ended, continue the run with 'gleitzeit workflow resume {workflowId}'.");
                }
                run = await runner.WaitAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
            }
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(JsonShapes.Run(run));
                return ExitCodes.Ok;
            }
            output.Heading($"{run.Name} ({run.WorkflowId})");
            output.Line($"status: {JsonShapes.Lower(run.Status)}   started: {Local(run.StartedAt)}   completed: {Local(run.CompletedAt)}   duration: {JsonShapes.Duration(run.Duration)}");
            if (run.Error is { } error) output.Line($"error: {error.CodeName}: {Output.Tidy(error.Message)}");
            output.Table(["task", "status", "attempts", "time", "result / error"],
                run.Tasks.Values.Select(t => (IReadOnlyList<string>)[t.TaskId, JsonShapes.Lower(t.Status), t.Attempts.ToString(CultureInfo.InvariantCulture),
                    JsonShapes.Duration(t.Duration), t.Error is { } e ? $"{e.CodeName}: {Output.Tidy(e.Message)}" : Output.Clip(JsonShapes.Describe(t.Result))]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateList()
    {
        var status = new Option<string[]>("--status", "-s") { Description = "Only runs in these states (pending, running, waiting, completed, failed, cancelled, interrupted).", Arity = ArgumentArity.ZeroOrMore };
        status.AcceptOnlyFromAmong("pending", "running", "waiting", "completed", "failed", "cancelled", "interrupted");
        var name = new Option<string?>("--name", "-n") { Description = "Only runs of the workflow with this name." };
        var limit = new Option<int>("--limit") { Description = "Most runs to list.", DefaultValueFactory = _ => 20 };
        var command = new Command("list", "List runs, newest first.") { status, name, limit };
        command.SetHandler(async context =>
        {
            var query = new RunQuery
            {
                Statuses = (context.Parse.GetValue(status) ?? []).Select(s => Enum.Parse<WorkflowStatus>(s, ignoreCase: true)).ToList(),
                Name = context.Parse.GetValue(name),
                Limit = Math.Max(1, context.Parse.GetValue(limit)),
            };
            var runs = await context.GetServices().Store.ListRunsAsync(query, context.CancellationToken).ConfigureAwait(false);
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(new JsonObject { ["runs"] = new JsonArray(runs.Select(r => (JsonNode)JsonShapes.Summary(r)).ToArray()) });
                return ExitCodes.Ok;
            }
            if (runs.Count == 0)
            {
                output.Line("No runs yet. Start one with 'gleitzeit run FILE'.");
                return ExitCodes.Ok;
            }
            output.Table(
                [new Column("id"), new Column("name", ColumnKind.Text), new Column("status"), new Column("tasks"), new Column("created", ColumnKind.Optional), new Column("duration", ColumnKind.Optional, RightAligned: true)],
                runs.Select(r => (IReadOnlyList<string>)[r.WorkflowId, r.Name, JsonShapes.Lower(r.Status),
                    $"{r.CompletedTasks}/{r.TaskCount}" + (r.FailedTasks > 0 ? $" ({r.FailedTasks} failed)" : ""), Local(r.CreatedAt),
                    JsonShapes.Duration(r.StartedAt is { } s && r.CompletedAt is { } c ? c - s : null)]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateResume()
    {
        var id = new Argument<string>("ID") { Description = "Run id of an unfinished run." };
        var output = new Option<string?>("--output", "-o") { Description = "Also write the run's JSON to this file.", HelpName = "FILE" };
        var command = new Command("resume", "Continue an unfinished run (interrupted by Ctrl+C or a stopping host, or left by a crash); completed tasks are not run again.") { id, output };
        command.SetHandler(async context =>
        {
            var workflowId = context.Parse.GetRequiredValue(id);
            if (await context.GetServices().Runners.ForRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false) is not ExecutionEngine engine)
            {
                throw CliException.Invalid($"Run {workflowId} was queued for workers: they continue it, not this process.",
                    "Start workers with 'gleitzeit worker'; follow it with 'gleitzeit workflow status ID --wait'.");
            }
            var stored = await engine.GetRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false)
                ?? throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}' in the {context.Settings.Backend} store.");
            if (stored.Workflow is { } workflow && !stored.IsFinished) await RunExecution.CheckProvidersAsync(context, workflow).ConfigureAwait(false);
            // No cancellation token: a signal interrupts the resumed run again (FollowAsync); a run another live process
            // executes is refused with WORKFLOW_LEASED naming that process.
            var run = await RunExecution.FollowAsync(context, engine, engine.ResumeAsync(workflowId, CancellationToken.None)).ConfigureAwait(false);
            return await RunExecution.ReportAsync(context, run, context.Parse.GetValue(output)).ConfigureAwait(false);
        });
        return command;
    }

    private static Command CreateCancel()
    {
        var id = new Argument<string>("ID") { Description = "Run id." };
        var command = new Command("cancel", "Cancel a run: tasks not finished are marked cancelled and it will not be resumed.") { id };
        command.SetHandler(async context =>
        {
            var workflowId = context.Parse.GetRequiredValue(id);
            var runner = await context.GetServices().Runners.ForRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
            await runner.CancelAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
            var run = await runner.GetRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false);
            var status = run is null ? "cancelled" : JsonShapes.Lower(run.Status);
            if (context.Output.Json) context.Output.WriteJson(new JsonObject { ["workflow_id"] = workflowId, ["status"] = status });
            else
            {
                context.Output.Line(status switch
                {
                    "cancelled" => $"Run {workflowId} cancelled.",
                    "completed" or "failed" => $"Run {workflowId} had already finished: {status}.",
                    _ => $"Run {workflowId}: cancellation requested; its running tasks are stopping.",
                });
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Local(DateTimeOffset? at) => at is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "";
}
