using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>A run reached a final state.</summary>
/// <param name="WorkflowId">The run's id.</param>
/// <param name="Timestamp">When the run finished.</param>
/// <param name="Status">The final state (completed, failed or cancelled).</param>
/// <param name="Error">Why the run failed; null when it completed.</param>
/// <param name="Duration">How long the run took.</param>
public sealed record WorkflowCompleted(string WorkflowId, DateTimeOffset Timestamp, WorkflowStatus Status, GleitzeitError? Error, TimeSpan Duration) : WorkflowEvent(WorkflowId, Timestamp);
