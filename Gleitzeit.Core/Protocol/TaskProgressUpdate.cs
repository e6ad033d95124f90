using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

/// <summary>One piece of progress a running task reports (a token, an output line, a tool call).</summary>
/// <param name="Kind">What the update carries.</param>
/// <param name="Text">The token, line or JSON text.</param>
public readonly record struct TaskProgressUpdate(TaskProgressKind Kind, string Text);
