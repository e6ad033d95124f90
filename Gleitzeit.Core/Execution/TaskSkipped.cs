using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>A task that will not run: a dependency failed (TASK_DEPENDENCY_FAILED) or the run was cancelled (TASK_CANCELLED).</summary>
public sealed record TaskSkipped(string WorkflowId, DateTimeOffset Timestamp, string TaskId, GleitzeitError Error) : WorkflowEvent(WorkflowId, Timestamp);
