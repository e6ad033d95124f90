using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Substitution;

/// <summary>
/// Lets a provider render references inside its string parameters its own way (the Python provider turns them into
/// Python literals inside <c>code</c>, so values stay data). Implement it on the <see cref="Protocol.ITaskProvider"/>.
/// </summary>
public interface IReferenceRenderer
{
    /// <summary>
    /// Renders <paramref name="template"/> (a string parameter at <paramref name="parameterPath"/>, e.g. <c>code</c> or
    /// <c>context.text</c>) given the resolved value of each of its references, in order. Return null to use the
    /// default rendering (typed value for a lone reference, text otherwise).
    /// </summary>
    string? RenderTemplate(string method, string parameterPath, Template template, IReadOnlyList<JsonNode?> values);
}
