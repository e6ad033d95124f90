using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

public sealed record TaskStarted(string WorkflowId, DateTimeOffset Timestamp, string TaskId, int Attempt) : WorkflowEvent(WorkflowId, Timestamp);
