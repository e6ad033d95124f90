using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Llm;

/// <summary>
/// What a tool function (an <c>AIFunction</c> of an <see cref="ILlmToolSource"/>) may return: what the model reads: the text it reads (<see cref="ToString"/>), the value recorded in
/// <c>tool_calls[].result</c>, and whether the tool reported an error.
/// </summary>
public sealed class ToolOutcome(string text, JsonNode? result, bool isError)
{
    /// <summary>The text the model reads.</summary>
    public string Text { get; } = text;

    /// <summary>The value recorded in the task's <c>tool_calls</c> (JSON when the tool's text parses as JSON).</summary>
    public JsonNode? Result { get; } = result;

    /// <summary>Whether the tool reported a failure (the model still reads it, and may try otherwise).</summary>
    public bool IsError { get; } = isError;

    /// <inheritdoc/>
    public override string ToString() => Text;
}
