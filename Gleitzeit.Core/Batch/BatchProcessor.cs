namespace Gleitzeit.Core.Batch;

/// <summary>Runs a folder of files through a task, in parallel, with a report. (Filled in by the batch issue.)</summary>
public sealed class BatchProcessor
{
}
