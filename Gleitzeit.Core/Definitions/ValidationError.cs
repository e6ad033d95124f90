namespace Gleitzeit.Core.Definitions;

/// <summary>One problem found in a workflow: its code, what is wrong, which task and field, and where in the file.</summary>
public sealed record ValidationError(GleitzeitErrorCode Code, string Message, string? TaskId = null, string? Field = null, SourceLocation? Location = null)
{
    /// <summary>The error as shown to users: <c>location: task 'id', field: message [CODE number]</c>.</summary>
    public override string ToString()
    {
        var where = Location is null ? "" : Location + ": ";
        var what = TaskId is null ? "" : Field is null ? $"task '{TaskId}': " : $"task '{TaskId}', {Field}: ";
        return $"{where}{what}{Message} [{Code.Name()} {(int)Code}]";
    }
}
