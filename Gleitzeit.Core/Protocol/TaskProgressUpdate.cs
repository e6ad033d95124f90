using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

public readonly record struct TaskProgressUpdate(TaskProgressKind Kind, string Text);
