using System.CommandLine;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>workflow graph FILE|ID [--format mermaid|dot]</c>: prints the DAG of a workflow file, or of a run with each task's state.</summary>
internal static class GraphCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("FILE|ID") { Description = "A workflow file, or the id of a run (then each task shows and is coloured by its state)." };
        var format = new Option<string>("--format", "-f") { Description = "mermaid (paste into Markdown) or dot (Graphviz: dot -Tsvg).", DefaultValueFactory = _ => "mermaid" };
        format.AcceptOnlyFromAmong("mermaid", "dot");
        var command = new Command("graph", "Print a workflow's DAG as Mermaid or Graphviz DOT; for a run id, with every task's state.") { target, format };
        command.SetHandler(async context =>
        {
            var what = context.Parse.GetRequiredValue(target);
            var kind = context.Parse.GetValue(format)!;
            Workflow workflow;
            WorkflowRun? run = null;
            if (File.Exists(what) || Directory.Exists(what) || LooksLikeFile(what))
            {
                // Drawing needs the structure only: a method no provider here serves is still drawn.
                if (!File.Exists(what))
                {
                    throw Directory.Exists(what) ? CliException.Invalid($"{Path.GetFullPath(what)} is a directory, not a workflow file.") : CliException.FileNotFound(what, "Workflow file");
                }
                workflow = Gleitzeit.Core.Definitions.WorkflowLoader.LoadFile(Path.GetFullPath(what));
            }
            else
            {
                var services = context.GetServices();
                var runner = await services.Runners.ForRunAsync(what, context.CancellationToken).ConfigureAwait(false);
                run = await runner.GetRunAsync(what, context.CancellationToken).ConfigureAwait(false)
                    ?? throw new CliException(ExitCodes.FileNotFound, $"'{what}' is neither a workflow file nor the id of a stored run.",
                        "Pass a workflow file path, or a run id from 'gleitzeit workflow list'.");
                workflow = run.Workflow ?? throw new CliException(ExitCodes.General, $"Run '{what}' was stored without its definition, so its graph is unknown.");
            }
            var nodes = GraphText.Nodes(workflow, run);
            var text = kind == "dot" ? GraphText.Dot(workflow.Name, nodes) : GraphText.Mermaid(nodes);
            if (context.Output.Json) context.Output.WriteJson(GraphText.Json(workflow.Name, run?.WorkflowId, kind, nodes, text));
            else await context.Output.Out.WriteAsync(text).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A path that names a file (so a missing one is "file not found", not "no such run").</summary>
    private static bool LooksLikeFile(string what) =>
        what.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || what.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) ||
        what.Contains('/', StringComparison.Ordinal) || what.Contains('\\', StringComparison.Ordinal);
}
