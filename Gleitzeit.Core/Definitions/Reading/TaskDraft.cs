using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions.Yaml;

namespace Gleitzeit.Core.Definitions.Reading;

/// <summary>A task as read from the YAML, before batch forms are expanded into one task per file.</summary>
internal sealed class TaskDraft
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public required string Method { get; init; }

    public string? Protocol { get; init; }

    public required JsonObject Parameters { get; init; }

    public List<(string Id, YNode Node)> Dependencies { get; } = [];

    public int Priority { get; init; } = TaskPriority.Normal;

    public TimeSpan? Timeout { get; init; }

    public RetryPolicy? Retry { get; init; }

    public string? Provider { get; init; }

    public string? When { get; init; }

    public JoinMode Join { get; init; }

    public TaskLoop? Loop { get; init; }

    public required TaskSource Source { get; init; }

    /// <summary>Files this task expands into (batch forms), in order; null for an ordinary task.</summary>
    public List<string>? BatchFiles { get; set; }
}
