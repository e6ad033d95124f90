using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Batch;

/// <summary>What <see cref="BatchProcessor.ProcessBatchAsync"/> runs: the files (a directory and pattern, or a list) and the task for each.</summary>
public sealed record BatchRequest
{
    /// <summary>Directory to scan with <see cref="Pattern"/>; ignored when <see cref="Files"/> is set.</summary>
    public string? Directory { get; init; }

    /// <summary>Glob(s) under <see cref="Directory"/> (<c>*</c>, <c>?</c>, <c>**</c>; several separated by <c>;</c> or <c>,</c>).
    /// Default: the image types when <see cref="Vision"/> is set, else <c>*</c>.</summary>
    public string? Pattern { get; init; }

    /// <summary>Follow symbolic links that lead out of <see cref="Directory"/> (default: no; a matching link to a file outside fails
    /// that file with the reason, a link to a folder outside is not entered). Links inside the folder are always followed, and
    /// every real folder is read once, so link loops end.</summary>
    public bool FollowExternalLinks { get; init; }

    /// <summary>Explicit files, processed in this order.</summary>
    public IReadOnlyList<string>? Files { get; init; }

    /// <summary>Method run per file. Default: <c>llm/vision</c> when <see cref="Vision"/> is set, else <c>llm/chat</c>.</summary>
    public string? Method { get; init; }

    /// <summary>Prompt sent with each file (llm methods).</summary>
    public string? Prompt { get; init; }

    /// <summary>Model for llm methods; null takes the provider's default (the vision model for llm/vision).</summary>
    public string? Model { get; init; }

    /// <summary>Treat the files as images: runs <c>llm/vision</c> with the vision model.</summary>
    public bool Vision { get; init; }

    /// <summary>Most files in flight at once; null takes <see cref="BatchOptions.MaxConcurrent"/> (default 5).</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Further parameters of every task (e.g. <c>code</c> for python/execute, <c>temperature</c>, tool arguments).</summary>
    public JsonObject? Parameters { get; init; }

    /// <summary>Parameter that receives the file path (e.g. an MCP tool's argument); null places it by method (see <see cref="BatchProcessor.CreateBatchWorkflow"/>).</summary>
    public string? FileArgument { get; init; }

    /// <summary>Attempts per file including the first (retries on transient errors); null takes the engine default.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Delay before the first retry of a file. Default: 1 s (doubling).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Id of an earlier batch (saved under <see cref="BatchOptions.ResultsDirectory"/>): only its files that did not succeed run again,
    /// and its successes are merged into the result. Without <see cref="Directory"/>/<see cref="Files"/> the earlier file list is used.</summary>
    public string? ResumeFrom { get; init; }
}
