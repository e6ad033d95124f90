namespace Gleitzeit.Cli;

/// <summary>The process exit codes of <c>gleitzeit</c> (ARCHITECTURE §11), stable for scripts.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int General = 1;
    public const int InvalidInput = 2;
    public const int FileNotFound = 3;
    public const int ProviderError = 4;
    public const int TaskFailed = 5;
}

/// <summary>A failure to report to the user as it is: a message, an optional hint saying how to fix it, and an exit code.
/// Never printed with a stack trace unless <c>--debug</c> is on.</summary>
internal sealed class CliException : Exception
{
    public CliException(int exitCode, string message, string? hint = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
        Hint = hint;
    }

    public int ExitCode { get; }

    public string? Hint { get; }

    /// <summary>Extra lines printed after the message (every problem of an invalid workflow, say).</summary>
    public IReadOnlyList<string> Details { get; init; } = [];

    public static CliException FileNotFound(string path, string what = "File") =>
        new(ExitCodes.FileNotFound, $"{what} not found: {Path.GetFullPath(path)}");

    public static CliException Invalid(string message, string? hint = null) => new(ExitCodes.InvalidInput, message, hint);
}
