using System.CommandLine;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>workflow retry ID [--from TASK] [--file EDITED.yaml]</c>: a new run that keeps what the old one completed.</summary>
internal static class RetryCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("ID") { Description = "Run id of a finished run (completed, failed or cancelled)." };
        var from = new Option<string?>("--from") { Description = "Run this task and everything downstream of it again (the rest keeps its results).", HelpName = "TASK" };
        var file = new Option<string?>("--file", "-f") { Description = "An edited workflow file: tasks whose definition changed (and their dependents) run again.", HelpName = "EDITED.yaml" };
        var output = new Option<string?>("--output", "-o") { Description = "Also write the new run's JSON to this file.", HelpName = "FILE" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Print streamed tokens and output lines as tasks produce them (plain output)." };
        var command = new Command("retry", "Run a finished run again as a new run, keeping the results of completed tasks not affected (see --from, --file).") { id, from, file, output, watch };
        command.SetHandler(async context =>
        {
            var workflowId = context.Parse.GetRequiredValue(id);
            var services = context.GetServices();
            var engine = services.Engine;
            var edited = context.Parse.GetValue(file) is { } path ? RunExecution.LoadWorkflow(context, path) : null;
            var stored = await engine.GetRunAsync(workflowId, context.CancellationToken).ConfigureAwait(false)
                ?? throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}' in the {context.Settings.Backend} store.");
            var definition = edited ?? stored.Workflow;
            if (definition is not null) await RunExecution.CheckProvidersAsync(context, definition).ConfigureAwait(false);
            var progress = new RunProgress(context.Output, context.Parse.GetValue(watch), (definition?.Tasks ?? []).Select(t => t.Id), null);
            var work = engine.RetryAsync(workflowId, context.Parse.GetValue(from), edited, new RunOptions { OnEvent = progress.OnEvent }, CancellationToken.None);
            var run = await RunExecution.FollowAsync(context, engine, work, progress).ConfigureAwait(false);
            return await RunExecution.ReportAsync(context, run, context.Parse.GetValue(output)).ConfigureAwait(false);
        });
        return command;
    }
}
