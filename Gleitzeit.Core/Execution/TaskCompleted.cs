using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>A task finished successfully.</summary>
/// <param name="WorkflowId">The run's id.</param>
/// <param name="Timestamp">When the task completed.</param>
/// <param name="TaskId">The task's id.</param>
/// <param name="Result">The task's result.</param>
/// <param name="Attempts">How many attempts it took.</param>
/// <param name="Duration">How long the successful attempt ran.</param>
public sealed record TaskCompleted(string WorkflowId, DateTimeOffset Timestamp, string TaskId, JsonNode? Result, int Attempts, TimeSpan Duration) : WorkflowEvent(WorkflowId, Timestamp);
