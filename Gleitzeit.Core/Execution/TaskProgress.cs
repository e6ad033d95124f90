using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>A streamed token or output line of a running task. Not stored.</summary>
public sealed record TaskProgress(string WorkflowId, DateTimeOffset Timestamp, string TaskId, TaskProgressKind Kind, string Text) : WorkflowEvent(WorkflowId, Timestamp);
