using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

public sealed record TaskQueued(string WorkflowId, DateTimeOffset Timestamp, string TaskId) : WorkflowEvent(WorkflowId, Timestamp);
