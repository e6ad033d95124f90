using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>A task's dependencies are met and it waits for a free slot.</summary>
/// <param name="WorkflowId">The run's id.</param>
/// <param name="Timestamp">When the task was queued.</param>
/// <param name="TaskId">The task's id.</param>
public sealed record TaskQueued(string WorkflowId, DateTimeOffset Timestamp, string TaskId) : WorkflowEvent(WorkflowId, Timestamp);
