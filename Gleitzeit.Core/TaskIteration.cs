using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>One finished iteration of a <c>loop</c> task, as kept in <see cref="TaskResult.History"/>.</summary>
/// <param name="Number">1-based.</param>
/// <param name="Result">What the iteration returned.</param>
/// <param name="Attempts">Attempts the iteration took.</param>
/// <param name="StartedAt">When its first attempt started.</param>
/// <param name="CompletedAt">When it completed.</param>
public sealed record TaskIteration(int Number, JsonNode? Result, int Attempts, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt);
