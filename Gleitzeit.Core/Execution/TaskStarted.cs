using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>A task attempt started running on its provider.</summary>
/// <param name="WorkflowId">The run's id.</param>
/// <param name="Timestamp">When the attempt started.</param>
/// <param name="TaskId">The task's id.</param>
/// <param name="Attempt">The attempt's number, 1 for the first.</param>
public sealed record TaskStarted(string WorkflowId, DateTimeOffset Timestamp, string TaskId, int Attempt) : WorkflowEvent(WorkflowId, Timestamp);
