namespace Gleitzeit.Core.Batch;

/// <summary>Settings of <see cref="BatchProcessor"/> (configuration section <c>batch</c>).</summary>
public sealed class BatchOptions
{
    /// <summary>Largest text file a batch sends; larger files fail with a clear reason. Default: 1 MiB.</summary>
    public long MaxFileSize { get; set; } = 1024 * 1024;

    /// <summary>Files processed at once when the request does not say. Default: 5.</summary>
    public int MaxConcurrent { get; set; } = 5;

    /// <summary>Where every batch result is saved as <c>&lt;batch_id&gt;.json</c> (and read back for resume); null disables saving.</summary>
    public string? ResultsDirectory { get; set; } = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".gleitzeit", "batch_results");
}
