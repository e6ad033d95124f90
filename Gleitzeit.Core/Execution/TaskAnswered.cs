using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Execution;

/// <summary>A waiting task was decided: by a person's answer, or by its timeout. A <see cref="TaskCompleted"/> (or, for
/// <c>on_timeout: fail</c>, a <see cref="TaskFailed"/>) follows.</summary>
/// <param name="WorkflowId">The run.</param>
/// <param name="Timestamp">When the decision was recorded.</param>
/// <param name="TaskId">The task that was waiting.</param>
/// <param name="Result">The task's result: <c>{approved, by, comment, decided_at}</c> or <c>{input, by, decided_at}</c>; null when its timeout failed it.</param>
/// <param name="By">Who answered (as given), or null.</param>
/// <param name="TimedOut">True when the timeout decided, not a person.</param>
public sealed record TaskAnswered(string WorkflowId, DateTimeOffset Timestamp, string TaskId, JsonNode? Result, string? By, bool TimedOut)
    : WorkflowEvent(WorkflowId, Timestamp);
