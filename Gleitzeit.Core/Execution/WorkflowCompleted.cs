using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

public sealed record WorkflowCompleted(string WorkflowId, DateTimeOffset Timestamp, WorkflowStatus Status, GleitzeitError? Error, TimeSpan Duration) : WorkflowEvent(WorkflowId, Timestamp);
