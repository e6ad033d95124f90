using System.CommandLine;
using System.CommandLine.Invocation;
using Gleitzeit.Cli.Commands;

namespace Gleitzeit.Cli;

/// <summary>Builds the command tree, parses, and runs the chosen command. Parse errors exit 2 with a suggestion.</summary>
internal static class CliApp
{
    /// <summary>How long a forced exit still waits for the command to record its last state.</summary>
    private static readonly TimeSpan LastWords = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var root = BuildRoot();
        var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
        var invocation = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            Output = stdout ?? Console.Out,
            Error = stderr ?? Console.Error,
        };
        if (parse.Action is ParseErrorAction && parse.Errors.Count > 0)
        {
            // The CLI's own form (error:, hint:) on stderr, without the whole help text: stdout stays clean for scripts.
            var (message, hint) = ParseErrorReport.Describe(root, parse);
            var error = stderr ?? Console.Error;
            await error.WriteLineAsync("error: " + Rendering.TerminalText.Sanitize(message)).ConfigureAwait(false);
            await error.WriteLineAsync("hint: " + Rendering.TerminalText.Sanitize(hint)).ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }
        // Signals are ours (see TerminationSignals); the command runs off the main thread, so the process can always exit
        // once the grace period after a signal is over, even if the command is stuck in a call that ignores cancellation.
        using var signals = new TerminationSignals(invocation.ProcessTerminationTimeout ?? TimeSpan.FromSeconds(2));
        invocation.ProcessTerminationTimeout = null;
        TerminationSignals.Current = signals;
        var work = Task.Run(() => parse.InvokeAsync(invocation, signals.Token));
        var first = await Task.WhenAny(work, signals.Forced).ConfigureAwait(false);
        if (first == work) return await work.ConfigureAwait(false);
        // Forced: a command still recording its last state (a run being interrupted, or cancelled for good after a second
        // Ctrl+C: a few small store writes) gets a moment more, never longer.
        await Task.WhenAny(work, Task.Delay(LastWords)).ConfigureAwait(false);
        return await signals.Forced.ConfigureAwait(false);
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("gleitzeit: run LLM workflows (DAGs of llm, python and MCP tasks) and inspect their results.")
        {
            GlobalOptions.Json,
            GlobalOptions.Debug,
            GlobalOptions.Config,
            GlobalOptions.Backend,
        };
        root.Add(WorkflowCommands.CreateRun("run", "Run a workflow file to completion (same as 'workflow submit')."));
        root.Add(WorkflowCommands.CreateGroup());
        root.Add(TaskCommands.Create());
        root.Add(ProviderCommands.Create());
        root.Add(BackendCommands.Create());
        root.Add(SystemCommands.Create());
        root.Add(BatchCommand.Create());
        root.Add(InitCommand.Create());
        root.Add(ValidateCommand.Create());
        root.Add(ConfigCommand.Create());
        root.Add(ExecCommand.Create());
        root.Add(WorkerCommand.Create());
        root.Add(DashboardCommand.Create());
        root.Add(McpCommands.Create());
        return root;
    }
}

/// <summary>Sets a command's action to run inside a <see cref="CliContext"/>, turning exceptions into exit codes.</summary>
internal static class CommandActions
{
    public static void SetHandler(this Command command, Func<CliContext, Task<int>> body) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var context = new CliContext(parse, cancellationToken);
            try
            {
                return await body(context).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                return ErrorReporter.Report(context, ex);
            }
        });
}
