using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>A task attempt failed with a retryable error and the task will run again after a delay.</summary>
/// <param name="WorkflowId">The run's id.</param>
/// <param name="Timestamp">When the retry was scheduled.</param>
/// <param name="TaskId">The task's id.</param>
/// <param name="NextAttempt">The number of the coming attempt (2 for the first retry).</param>
/// <param name="Delay">The wait before that attempt.</param>
/// <param name="Error">Why the attempt failed.</param>
public sealed record TaskRetrying(string WorkflowId, DateTimeOffset Timestamp, string TaskId, int NextAttempt, TimeSpan Delay, GleitzeitError Error) : WorkflowEvent(WorkflowId, Timestamp);
