using Gleitzeit.Core.Definitions.Yaml;

namespace Gleitzeit.Core.Definitions.Reading;

/// <summary>Where a task's pieces are in the YAML, for placing validation errors.</summary>
internal sealed class TaskSource(YNode node)
{
    public YNode Node { get; } = node;

    /// <summary>Each field's value node, by the field's canonical name (<c>parameters</c>, <c>dependencies</c>, <c>provider</c>, ...).</summary>
    public Dictionary<string, YNode> Fields { get; } = new(StringComparer.Ordinal);

    /// <summary>The node of each dependency, in the order of <see cref="WorkflowTask.Dependencies"/>.</summary>
    public List<YNode> DependencyNodes { get; } = [];
}
