using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

public sealed record WorkflowStarted(string WorkflowId, DateTimeOffset Timestamp, string Name, int TaskCount) : WorkflowEvent(WorkflowId, Timestamp);
