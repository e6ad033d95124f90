using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Cli;

/// <summary>Turns an exception into a message on stderr and an exit code. A user's mistake never shows a stack trace
/// unless <c>--debug</c> is on.</summary>
internal static class ErrorReporter
{
    public static int Report(CliContext context, Exception exception)
    {
        var (code, message, details, hint) = Classify(exception, context.CancellationToken);
        // Stopped by SIGINT/SIGTERM: exit 130 / 143 whatever the command was doing.
        if (exception is OperationCanceledException && context.SignalExitCode is { } signal) code = signal;
        context.Output.Error(message, details, hint);
        if (context.Debug) context.Output.Err.WriteLine(Rendering.TerminalText.Sanitize(exception.ToString()));
        return code;
    }

    internal static (int Code, string Message, IReadOnlyList<string> Details, string? Hint) Classify(Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case CliException cli:
                return (cli.ExitCode, cli.Message, cli.Details, cli.Hint);
            case WorkflowValidationException invalid:
                var fromFile = invalid.Source is { } source && File.Exists(source);
                return (ExitCodes.InvalidInput,
                    $"Invalid workflow{(invalid.Source is null ? "" : $" ({invalid.Source})")}: {invalid.Errors.Count} problem{(invalid.Errors.Count == 1 ? "" : "s")}",
                    invalid.Errors.Select(e => e.ToString()).ToList(),
                    fromFile ? "Fix each problem at its line:column; 'gleitzeit validate FILE' checks a file without running it." : "See 'gleitzeit provider list' for what is configured.");
            case YamlDotNet.Core.YamlException yaml:
                return (ExitCodes.InvalidInput, $"Invalid YAML at {yaml.Start.Line}:{yaml.Start.Column}: {yaml.InnerException?.Message ?? yaml.Message}", [], null);
            case FileNotFoundException notFound:
                return (ExitCodes.FileNotFound, notFound.FileName is { } f ? $"File not found: {f}" : notFound.Message, [], null);
            case DirectoryNotFoundException dir:
                return (ExitCodes.FileNotFound, dir.Message, [], null);
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return (ExitCodes.General, "Cancelled.", [], null);
            case GleitzeitException g:
                return (ExitCodeOf(g.Code), $"{g.Message} [{g.Code.Name()} {(int)g.Code}]", [], HintFor(g.Code));
            case NotImplementedException ni:
                return (ExitCodes.General, "Not available in this build: " + ni.Message, [], null);
            case UnauthorizedAccessException or IOException:
                return (ExitCodes.General, exception.Message, [], null);
            default:
                return (ExitCodes.General, $"Unexpected error: {exception.GetType().Name}: {exception.Message}", [], "Run again with --debug for the stack trace, and report it.");
        }
    }

    public static int ExitCodeOf(GleitzeitErrorCode code) => (int)code switch
    {
        >= -30999 and <= -30000 => ExitCodes.ProviderError,
        >= -25999 and <= -25000 => ExitCodes.ProviderError,
        _ => code switch
        {
            GleitzeitErrorCode.WorkflowValidationFailed or GleitzeitErrorCode.WorkflowCircularDependency or GleitzeitErrorCode.TaskValidationFailed or GleitzeitErrorCode.HumanInputInvalid
                or GleitzeitErrorCode.InvalidParams or GleitzeitErrorCode.MethodNotFound or GleitzeitErrorCode.ConfigurationError => ExitCodes.InvalidInput,
            _ => ExitCodes.General,
        },
    };

    private static string? HintFor(GleitzeitErrorCode code) => code switch
    {
        GleitzeitErrorCode.WorkflowNotFound => "List runs with 'gleitzeit workflow list' (runs are kept in the configured store; the memory store keeps nothing between commands).",
        GleitzeitErrorCode.TaskNotFound => "List tasks with 'gleitzeit task list'.",
        GleitzeitErrorCode.WorkflowLeased => "Only the process that runs it continues it: let it finish, or stop it (Ctrl+C leaves the run interrupted) and resume it then; 'gleitzeit workflow status ID' shows its progress.",
        GleitzeitErrorCode.ProviderNotFound => "See what is configured with 'gleitzeit provider list'.",
        GleitzeitErrorCode.TaskNotWaiting or GleitzeitErrorCode.TaskAlreadyAnswered or GleitzeitErrorCode.HumanTimeout =>
            "'gleitzeit workflow status ID' shows each task's state; 'gleitzeit workflow list --status waiting' lists the runs waiting for an answer.",
        GleitzeitErrorCode.HumanInputInvalid => "'gleitzeit workflow status ID --json' shows the task's schema (under its result); answer again with a matching --data.",
        _ => null,
    };
}
