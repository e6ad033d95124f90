using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

public sealed record TaskFailed(string WorkflowId, DateTimeOffset Timestamp, string TaskId, GleitzeitError Error, int Attempts) : WorkflowEvent(WorkflowId, Timestamp);
