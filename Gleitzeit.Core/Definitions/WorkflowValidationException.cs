namespace Gleitzeit.Core.Definitions;

/// <summary>Where in a workflow file something is (1-based line and column).</summary>
public sealed record SourceLocation(string? File, int Line, int Column)
{
    public override string ToString() => File is null ? $"{Line}:{Column}" : $"{File}:{Line}:{Column}";
}

/// <summary>One problem found in a workflow: its code, what is wrong, which task and field, and where in the file.</summary>
public sealed record ValidationError(GleitzeitErrorCode Code, string Message, string? TaskId = null, string? Field = null, SourceLocation? Location = null)
{
    public override string ToString()
    {
        var where = Location is null ? "" : Location + ": ";
        var what = TaskId is null ? "" : Field is null ? $"task '{TaskId}': " : $"task '{TaskId}', {Field}: ";
        return $"{where}{what}{Message} [{Code.Name()} {(int)Code}]";
    }
}

/// <summary>A workflow that cannot run, with every problem found. <see cref="GleitzeitException.Code"/> is that of the first problem.</summary>
public sealed class WorkflowValidationException : GleitzeitException
{
    public WorkflowValidationException(IReadOnlyList<ValidationError> errors, string? source = null)
        : base(errors.Count > 0 ? errors[0].Code : GleitzeitErrorCode.WorkflowValidationFailed, FormatMessage(errors, source))
    {
        Errors = errors;
        Source = source;
    }

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
