using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Substitution;

/// <summary>Resolves <c>${...}</c> references in task parameters against the results of completed tasks.</summary>
public static class ReferenceResolver
{
    private static readonly JsonSerializerOptions CompactJson = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Whether any string inside the parameters may contain a reference.</summary>
    public static bool ContainsReferences(JsonNode? node)
    {
        // Indexed loops: a foreach over a JsonObject or JsonArray allocates its enumerator, and every task is checked once per run.
        switch (node)
        {
            case JsonObject o:
                for (var i = 0; i < o.Count; i++)
                {
                    if (ContainsReferences(o.GetAt(i).Value)) return true;
                }
                return false;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (ContainsReferences(a[i])) return true;
                }
                return false;
            case JsonValue v:
                return v.GetValueKind() == JsonValueKind.String && Template.MayContainReferences(v.GetValue<string>());
            default:
                return false;
        }
    }

    /// <summary>Every template in the parameters with its parameter path (<c>messages[0].content</c>); throws <see cref="FormatException"/> naming the path on a malformed one.</summary>
    public static IEnumerable<(string Path, Template Template)> FindTemplates(JsonNode? node, string path = "")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    foreach (var t in FindTemplates(value, path.Length == 0 ? key : $"{path}.{key}")) yield return t;
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var t in FindTemplates(a[i], $"{path}[{i}]")) yield return t;
                }
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var text = v.GetValue<string>();
                if (!Template.MayContainReferences(text)) break;
                Template template;
                try
                {
                    template = Template.Parse(text);
                }
                catch (FormatException ex)
                {
                    throw new FormatException($"parameter '{path}': {ex.Message}", ex);
                }
                if (template.References.Any()) yield return (path, template);
                break;
        }
    }

    /// <summary>
    /// Returns the parameters with every reference replaced. <paramref name="lookup"/> gives the result of a task, or the
    /// value of an input for a reference whose root is <c>inputs</c>. Throws <see cref="GleitzeitException"/>
    /// (TASK_VALIDATION_FAILED) naming the parameter and what is missing.
    /// </summary>
    public static JsonObject Resolve(JsonObject parameters, Func<Reference, JsonNode?> lookup, string method = "", IReferenceRenderer? renderer = null) =>
        Resolve(parameters, lookup, static (l, reference) => l(reference), method, renderer);

    /// <summary>As <see cref="Resolve(JsonObject, Func{Reference, JsonNode?}, string, IReferenceRenderer?)"/>, with the
    /// lookup's state passed to a static lookup: the engine resolves every task's parameters without a delegate per task.</summary>
    internal static JsonObject Resolve<TState>(JsonObject parameters, TState state, Func<TState, Reference, JsonNode?> lookup, string method, IReferenceRenderer? renderer) =>
        (JsonObject)ResolveNode(parameters, "", state, lookup, method, renderer)!;

    private static JsonNode? ResolveNode<TState>(JsonNode? node, string path, TState state, Func<TState, Reference, JsonNode?> lookup, string method, IReferenceRenderer? renderer)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                for (var i = 0; i < o.Count; i++)
                {
                    var (key, value) = o.GetAt(i);
                    copy.Add(key, ResolveNode(value, path.Length == 0 ? key : $"{path}.{key}", state, lookup, method, renderer));
                }
                return copy;
            case JsonArray a:
                var list = new JsonArray();
                for (var i = 0; i < a.Count; i++) list.Add(ResolveNode(a[i], $"{path}[{i}]", state, lookup, method, renderer));
                return list;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var text = v.GetValue<string>();
                return Template.MayContainReferences(text) ? ResolveString(text, path, state, lookup, method, renderer) : JsonValue.Create(text);
            default:
                return node?.DeepClone();
        }
    }

    private static JsonNode? ResolveString<TState>(string text, string path, TState state, Func<TState, Reference, JsonNode?> lookup, string method, IReferenceRenderer? renderer)
    {
        // The common case (a parameter that is exactly one reference, no renderer): no template, no list of values.
        Template? template = null;
        Reference? single = null;
        try
        {
            if (renderer is not null || !Template.TryParseSingleReference(text, out single)) template = Template.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"parameter '{path}': {ex.Message}");
        }
        if (single is not null) return Read(single, path, state, lookup)?.DeepClone();
        var values = new List<JsonNode?>(template!.References.Count);
        for (var i = 0; i < template.References.Count; i++) values.Add(Read(template.References[i], path, state, lookup));
        if (renderer?.RenderTemplate(method, path, template, values) is { } rendered) return JsonValue.Create(rendered);
        if (template.IsSingleReference) return values[0]?.DeepClone();
        var sb = new System.Text.StringBuilder(text.Length + 32);
        var next = 0;
        foreach (var part in template.Parts)
        {
            if (part.Reference is null) sb.Append(part.Text);
            else sb.Append(RenderText(values[next++]));
        }
        return JsonValue.Create(sb.ToString());
    }

    /// <summary>The value <paramref name="reference"/> names; a failure to read it names the parameter it is in.</summary>
    private static JsonNode? Read<TState>(Reference reference, string path, TState state, Func<TState, Reference, JsonNode?> lookup)
    {
        try
        {
            return lookup(state, reference);
        }
        catch (GleitzeitException ex)
        {
            throw new GleitzeitException(ex.Code, $"parameter '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>A value as text inside a longer string: strings as they are, other values as compact JSON, null as empty.</summary>
    public static string RenderText(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(CompactJson),
    };

    /// <summary>
    /// Follows a path into a task result. Compatibility with the original: a leading <c>result</c> step is skipped when
    /// the result has no field <c>result</c>; a non-object result answers <c>response</c>, <c>content</c> and <c>result</c> with itself.
    /// </summary>
    public static JsonNode? Navigate(JsonNode? root, IReadOnlyList<PathSegment> path, string rootName)
    {
        var current = root;
        for (var i = 0; i < path.Count; i++)
        {
            var segment = path[i];
            if (segment.IsIndex)
            {
                if (current is JsonArray arr)
                {
                    if (segment.Index >= arr.Count) throw PathError(rootName, path, i, $"index {segment.Index} is out of range (the list has {arr.Count} items)");
                    current = arr[segment.Index];
                    continue;
                }
                throw PathError(rootName, path, i, $"{Protocol.JsonTypes.Describe(current)} cannot be indexed");
            }
            if (current is JsonObject obj)
            {
                if (obj.TryGetPropertyValue(segment.Field!, out var child))
                {
                    current = child;
                    continue;
                }
                if (i == 0 && segment.Field == "result") continue; // ${t.result.x} means ${t.x}
                var fields = obj.Select(p => p.Key).ToList();
                throw PathError(rootName, path, i, $"has no field '{segment.Field}'" + (fields.Count > 0 ? $"; it has: {string.Join(", ", fields)}" : ""));
            }
            if (i == 0 && segment.Field is "result" or "response" or "content" && current is JsonValue) continue;
            throw PathError(rootName, path, i, $"{Protocol.JsonTypes.Describe(current)} has no field '{segment.Field}'");
        }
        return current;
    }

    private static GleitzeitException PathError(string rootName, IReadOnlyList<PathSegment> path, int at, string message)
    {
        var reached = rootName + string.Concat(path.Take(at).Select(p => p.ToString()));
        var full = rootName + string.Concat(path.Select(p => p.ToString()));
        return new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"reference ${{{full}}}: {reached} {message}");
    }
}
