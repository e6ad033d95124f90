using System.Text.Json.Nodes;

namespace Gleitzeit.TestServers.Ollama;

/// <summary>
/// A JSON value that conforms to a (simple) JSON Schema, as a model asked for structured output would answer:
/// objects get every property, arrays one item, strings <c>"text"</c> (or the first <c>enum</c>/<c>const</c>).
/// </summary>
public static class SchemaSample
{
    /// <summary>A value matching <paramref name="schema"/> (an object for a schema without <c>type</c>).</summary>
    public static JsonNode? For(JsonNode? schema)
    {
        if (schema is not JsonObject s) return new JsonObject();
        if (s["const"] is { } c) return c.DeepClone();
        if (s["enum"] is JsonArray { Count: > 0 } e) return e[0]?.DeepClone();
        var type = s["type"] switch
        {
            JsonValue v when v.TryGetValue<string>(out var t) => t,
            JsonArray a => a.Select(x => (string?)x).FirstOrDefault(x => x != "null"),
            _ => s["properties"] is not null ? "object" : s["items"] is not null ? "array" : "object",
        };
        switch (type)
        {
            case "object":
                var o = new JsonObject();
                if (s["properties"] is JsonObject props)
                {
                    foreach (var (name, sub) in props) o[name] = For(sub);
                }
                return o;
            case "array":
                var min = s["minItems"] is JsonValue mv && mv.TryGetValue<int>(out var m) ? Math.Max(1, m) : 1;
                var list = new JsonArray();
                for (var i = 0; i < min; i++) list.Add(For(s["items"]));
                return list;
            case "integer":
                return s["minimum"] is JsonValue iv && iv.TryGetValue<int>(out var im) ? im : 1;
            case "number":
                return s["minimum"] is JsonValue nv && nv.TryGetValue<double>(out var nm) ? nm : 1.5;
            case "boolean":
                return true;
            case "null":
                return null;
            default:
                return "text";
        }
    }
}
