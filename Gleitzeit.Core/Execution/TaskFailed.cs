using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>A task failed for good (no retry left, or the error is not retryable).</summary>
/// <param name="WorkflowId">The run's id.</param>
/// <param name="Timestamp">When the task failed.</param>
/// <param name="TaskId">The task's id.</param>
/// <param name="Error">Why the last attempt failed.</param>
/// <param name="Attempts">How many attempts were made.</param>
public sealed record TaskFailed(string WorkflowId, DateTimeOffset Timestamp, string TaskId, GleitzeitError Error, int Attempts) : WorkflowEvent(WorkflowId, Timestamp);
