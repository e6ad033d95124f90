namespace Gleitzeit.Core.Batch;

/// <summary>Progress of a running batch.</summary>
/// <param name="Done">Files finished (successful or failed).</param>
/// <param name="Failed">Files that failed so far.</param>
/// <param name="Total">Files in the batch.</param>
/// <param name="Elapsed">Time since the batch started.</param>
/// <param name="EstimatedRemaining">Projected from the pace so far; null until a file has finished.</param>
public sealed record BatchProgress(int Done, int Failed, int Total, TimeSpan Elapsed, TimeSpan? EstimatedRemaining)
{
    /// <summary>Files that succeeded so far.</summary>
    public int Successful => Done - Failed;
}
