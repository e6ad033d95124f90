using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

public sealed record TaskRetrying(string WorkflowId, DateTimeOffset Timestamp, string TaskId, int NextAttempt, TimeSpan Delay, GleitzeitError Error) : WorkflowEvent(WorkflowId, Timestamp);
