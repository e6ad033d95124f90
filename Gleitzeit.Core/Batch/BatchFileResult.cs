namespace Gleitzeit.Core.Batch;

/// <summary>One file of a batch: its outcome, the response text or the error, and how long it took.</summary>
public sealed record BatchFileResult
{
    /// <summary>The path of the file the task processed.</summary>
    public required string Path { get; init; }

    /// <summary>Whether the file's task succeeded or failed.</summary>
    public BatchFileStatus Status { get; init; }

    /// <summary>The task's text answer (<c>response</c> of llm and tool results; python's <c>result</c>); null when failed.</summary>
    public string? Response { get; init; }

    /// <summary>Why the file failed; null when it succeeded.</summary>
    public string? Error { get; init; }

    /// <summary>How long the file's task ran.</summary>
    public TimeSpan Duration { get; init; }
}
