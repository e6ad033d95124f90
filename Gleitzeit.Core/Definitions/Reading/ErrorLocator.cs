using System.Globalization;
using Gleitzeit.Core.Definitions.Yaml;

namespace Gleitzeit.Core.Definitions.Reading;

/// <summary>
/// Places the validator's errors (which name a task and a field) in the YAML: the task's node, its field, a dependency's
/// list item, or the parameter a path such as <c>parameters.messages[0].content</c> leads to. Tasks are found by their
/// index, so two tasks sharing an id each keep their own errors.
/// </summary>
internal sealed class ErrorLocator(string? source, YMapping root, IReadOnlyList<TaskSource> sources)
{
    /// <summary>Where <paramref name="error"/> is; <paramref name="taskIndex"/> is the index of the task it belongs to, or -1 for the workflow.</summary>
    public SourceLocation Locate(ValidationError error, int taskIndex)
    {
        var node = LocateNode(error, taskIndex);
        return new SourceLocation(source, node.Line, node.Column);
    }

    private YNode LocateNode(ValidationError error, int taskIndex)
    {
        if (taskIndex < 0 || taskIndex >= sources.Count)
        {
            var top = error.Field is null ? null : root.Get(error.Field.Split('.')[0]);
            return top ?? root;
        }
        var src = sources[taskIndex];
        var field = error.Field;
        if (field is null) return src.Node;
        if (field.StartsWith("dependencies[", StringComparison.Ordinal)
            && int.TryParse(field.AsSpan(13, field.Length - 14), NumberStyles.Integer, CultureInfo.InvariantCulture, out var dep))
        {
            return dep < src.DependencyNodes.Count ? src.DependencyNodes[dep] : src.Fields.GetValueOrDefault("dependencies") ?? src.Node;
        }
        if (field.StartsWith("parameters", StringComparison.Ordinal))
        {
            var paramsNode = src.Fields.GetValueOrDefault("parameters");
            if (paramsNode is null) return src.Node;
            return field.Length > "parameters.".Length ? Navigate(paramsNode, field["parameters.".Length..]) ?? paramsNode : paramsNode;
        }
        var name = field.Split('.', '[')[0];
        var node = src.Fields.GetValueOrDefault(name);
        if (node is not null && field.Length > name.Length + 1 && field[name.Length] == '.') return Navigate(node, field[(name.Length + 1)..]) ?? node;
        return node ?? src.Node;
    }

    /// <summary>Follows a parameter path such as <c>messages[0].content</c> into the YAML; null when it leads nowhere.</summary>
    private static YNode? Navigate(YNode node, string path)
    {
        var current = node;
        var i = 0;
        while (i < path.Length && current is not null)
        {
            if (path[i] == '.')
            {
                i++;
                continue;
            }
            if (path[i] == '[')
            {
                var close = path.IndexOf(']', i);
                if (close < 0 || !int.TryParse(path.AsSpan(i + 1, close - i - 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) return null;
                current = current is YSequence seq && n < seq.Items.Count ? seq.Items[n] : null;
                i = close + 1;
                continue;
            }
            var end = path.IndexOfAny(['.', '['], i);
            if (end < 0) end = path.Length;
            var key = path[i..end];
            current = current is YMapping map ? map.Get(key) : null;
            i = end;
        }
        return current;
    }
}
