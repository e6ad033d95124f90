namespace Gleitzeit.Core.Batch;

/// <summary>Outcome of one file of a batch.</summary>
public enum BatchFileStatus
{
    /// <summary>The file's task completed and produced a response.</summary>
    Success,
    /// <summary>The file's task failed; <see cref="BatchFileResult.Error"/> says why.</summary>
    Failed,
}
