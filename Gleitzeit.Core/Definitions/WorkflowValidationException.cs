namespace Gleitzeit.Core.Definitions;

/// <summary>A workflow that cannot run, with every problem found. <see cref="GleitzeitException.Code"/> is that of the first problem.</summary>
public sealed class WorkflowValidationException : GleitzeitException
{
    /// <summary>Creates the exception for <paramref name="errors"/>; <paramref name="source"/> names the file or text they were found in.</summary>
    public WorkflowValidationException(IReadOnlyList<ValidationError> errors, string? source = null)
        : base(errors.Count > 0 ? errors[0].Code : GleitzeitErrorCode.WorkflowValidationFailed, FormatMessage(errors, source))
    {
        Errors = errors;
        Source = source;
    }

    /// <summary>Every problem found, in source order.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    /// <summary>The file (or other origin) of the workflow, when known.</summary>
    public new string? Source { get; }

    private static string FormatMessage(IReadOnlyList<ValidationError> errors, string? source)
    {
        var head = errors.Count == 1 ? "Invalid workflow" : $"Invalid workflow ({errors.Count} problems)";
        if (source is not null) head += $" in {source}";
        return head + ":" + string.Concat(errors.Select(e => Environment.NewLine + "  - " + e));
    }
}
