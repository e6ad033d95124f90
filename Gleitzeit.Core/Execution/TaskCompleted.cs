using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

public sealed record TaskCompleted(string WorkflowId, DateTimeOffset Timestamp, string TaskId, JsonNode? Result, int Attempts, TimeSpan Duration) : WorkflowEvent(WorkflowId, Timestamp);
