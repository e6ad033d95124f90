namespace Gleitzeit.Core.Batch;

/// <summary>Outcome of one file of a batch.</summary>
public enum BatchFileStatus
{
    Success,
    Failed,
}
