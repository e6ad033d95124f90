using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

/// <summary>What a <see cref="TaskProgressUpdate"/> carries.</summary>
public enum TaskProgressKind
{
    /// <summary>A streamed piece of model output.</summary>
    Token,

    /// <summary>A line the task printed (stdout).</summary>
    Output,

    /// <summary>A diagnostic line (stderr, provider notes).</summary>
    Log,

    /// <summary>A tool the model called, as JSON: <c>{"tool", "arguments", "duration_ms", "is_error"}</c>.</summary>
    ToolCall,
}
