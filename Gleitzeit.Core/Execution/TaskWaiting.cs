using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Execution;

/// <summary>A task waits for a person (<c>human/approval</c> or <c>human/input</c>): the run holds no slot for it, and it
/// continues when someone answers (<see cref="ExecutionEngine.ApproveAsync"/>, <see cref="ExecutionEngine.RejectAsync"/>,
/// <see cref="ExecutionEngine.RespondAsync"/>) or its timeout decides.</summary>
/// <param name="WorkflowId">The run.</param>
/// <param name="Timestamp">When the task started waiting.</param>
/// <param name="TaskId">The waiting task.</param>
/// <param name="Method"><c>human/approval</c> or <c>human/input</c>.</param>
/// <param name="Prompt">What the person is asked (references resolved).</param>
/// <param name="Schema">The JSON Schema an input must match (<c>human/input</c>), else null.</param>
/// <param name="TimeoutAt">When the task's <c>on_timeout</c> decides, or null when it waits for ever.</param>
public sealed record TaskWaiting(string WorkflowId, DateTimeOffset Timestamp, string TaskId, string Method, string Prompt, JsonNode? Schema, DateTimeOffset? TimeoutAt)
    : WorkflowEvent(WorkflowId, Timestamp);
