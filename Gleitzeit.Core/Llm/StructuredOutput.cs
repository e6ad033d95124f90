using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;
using Json.Schema;
using Microsoft.Extensions.AI;

namespace Gleitzeit.Core.Llm;

/// <summary>
/// A task's <c>response_format</c>: <c>text</c> (nothing to check), <c>json</c> (the answer must parse), or
/// <c>{type: json_schema, schema, name}</c> (it must parse and match the schema, checked with JsonSchema.Net).
/// </summary>
internal sealed class StructuredOutput
{
    private static readonly string[] Types = ["text", "json", "json_object", "json_schema"];
    private static readonly string[] ObjectKeys = ["type", "schema", "name", "description"];

    private StructuredOutput(string? name, JsonElement? schemaElement, JsonSchema? schema)
    {
        Name = name;
        SchemaElement = schemaElement;
        Schema = schema;
    }

    public string? Name { get; }

    public JsonElement? SchemaElement { get; }

    public JsonSchema? Schema { get; }

    /// <summary>What to send: JSON mode, or a JSON schema (Ollama's <c>format</c>, OpenAI's <c>response_format</c>).</summary>
    public ChatResponseFormat ToChatResponseFormat() =>
        SchemaElement is { } s ? ChatResponseFormat.ForJsonSchema(s, Name ?? "result") : ChatResponseFormat.Json;

    /// <summary>The format a task asks for; null for text (or none). Throws TASK_VALIDATION_FAILED for a bad value.</summary>
    public static StructuredOutput? From(JsonNode? value)
    {
        var problems = Check(value).ToList();
        if (problems.Count > 0)
        {
            var p = problems[0];
            throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
                $"parameter 'response_format{(p.Parameter is null ? "" : "." + p.Parameter)}': {p.Message}");
        }
        switch (value)
        {
            case null:
                return null;
            case JsonValue v:
                return v.GetValue<string>() is "json" or "json_object" ? new StructuredOutput(null, null, null) : null;
            default:
                var o = (JsonObject)value;
                var type = (string)o["type"]!;
                if (type == "text") return null;
                if (o["schema"] is not { } schemaNode) return new StructuredOutput(null, null, null);
                var element = ToElement(schemaNode);
                return new StructuredOutput(o["name"]?.GetValue<string>(), element, JsonSchema.Build(element));
        }
    }

    /// <summary>Problems with a <c>response_format</c> value (used as the parameter's check at validation time).</summary>
    public static IEnumerable<ParameterProblem> Check(JsonNode? value, bool referencesUnresolved = false)
    {
        if (value is null) yield break;
        if (referencesUnresolved && value.ToJsonString().Contains("${", StringComparison.Ordinal)) yield break;
        if (value is JsonValue v)
        {
            if (!v.TryGetValue<string>(out var s) || !Types.Contains(s))
            {
                yield return new(null, $"must be 'text', 'json' or an object {{type: json_schema, schema: {{...}}, name}}, got {JsonTypes.Describe(value)}");
            }
            else if (s == "json_schema")
            {
                yield return new(null, "'json_schema' needs the schema: write response_format: {type: json_schema, schema: {...}, name: NAME}");
            }
            yield break;
        }
        if (value is not JsonObject o)
        {
            yield return new(null, $"must be 'text', 'json' or an object {{type: json_schema, schema: {{...}}, name}}, got {JsonTypes.Describe(value)}");
            yield break;
        }
        foreach (var (key, _) in o)
        {
            if (!ObjectKeys.Contains(key))
            {
                yield return new(key, $"unknown key '{key}'{Spelling.DidYouMean(key, ObjectKeys)}; known keys: {string.Join(", ", ObjectKeys)}");
            }
        }
        var type = o["type"] is JsonValue t && t.TryGetValue<string>(out var ts) ? ts : null;
        if (type is null || !Types.Contains(type))
        {
            yield return new("type", $"'type' must be one of {string.Join(", ", Types)}, got {JsonTypes.Describe(o["type"])}");
            yield break;
        }
        if (o["name"] is { } name && (name is not JsonValue nv || !nv.TryGetValue<string>(out _)))
        {
            yield return new("name", $"'name' must be a string, got {JsonTypes.Describe(name)}");
        }
        if (type != "json_schema")
        {
            if (o["schema"] is not null) yield return new("schema", $"a schema needs type: json_schema, not '{type}'");
            yield break;
        }
        if (o["schema"] is not JsonObject schema)
        {
            yield return new("schema", $"type json_schema needs 'schema': a JSON Schema object, got {JsonTypes.Describe(o["schema"])}");
            yield break;
        }
        foreach (var problem in SchemaProblems(schema)) yield return new("schema", problem);
    }

    /// <summary>
    /// Parses the model's answer (a fenced <c>```json</c> block is unwrapped) and checks it against the schema. Throws
    /// LLM_OUTPUT_INVALID, retryable, quoting what is wrong.
    /// </summary>
    public JsonNode Parse(string answer, string model)
    {
        var text = Unfence(answer);
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new GleitzeitException(GleitzeitErrorCode.LlmOutputInvalid,
                $"the answer of model '{model}' is not valid JSON ({ex.Message}); response_format asks for JSON. The answer began: {Quote(text)}", ex);
        }
        if (parsed is null)
        {
            throw new GleitzeitException(GleitzeitErrorCode.LlmOutputInvalid, $"the answer of model '{model}' is JSON null; response_format asks for a JSON value{(Schema is null ? "" : " matching the schema")}.");
        }
        if (Schema is null) return parsed;
        var element = ToElement(parsed);
        var results = Schema.Evaluate(element, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return parsed;
        var problems = Describe(results).Take(5).ToList();
        throw new GleitzeitException(GleitzeitErrorCode.LlmOutputInvalid,
            $"the answer of model '{model}' does not match the schema{(Name is null ? "" : $" '{Name}'")}: {string.Join("; ", problems)}. The answer began: {Quote(text)}");
    }

    private static IEnumerable<string> SchemaProblems(JsonObject schema)
    {
        var element = ToElement(schema);
        EvaluationResults meta;
        try
        {
            meta = MetaSchemas.Draft202012.Evaluate(element, new EvaluationOptions { OutputFormat = OutputFormat.List });
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or KeyNotFoundException)
        {
            return [$"not a valid JSON Schema: {ex.Message}"];
        }
        if (!meta.IsValid) return [$"not a valid JSON Schema (draft 2020-12): {string.Join("; ", Describe(meta).Take(3))}"];
        try
        {
            JsonSchema.Build(element);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or KeyNotFoundException or RefResolutionException)
        {
            return [$"not a valid JSON Schema: {ex.Message}"];
        }
        return [];
    }

    private static IEnumerable<string> Describe(EvaluationResults results)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<EvaluationResults> all = results.Details is { Count: > 0 } details ? details.Prepend(results) : [results];
        foreach (var r in all)
        {
            if (r.Errors is null) continue;
            foreach (var (keyword, message) in r.Errors)
            {
                var where = r.InstanceLocation.ToString();
                var line = $"{(where.Length == 0 ? "/" : where)}: {message} ({keyword})";
                if (seen.Add(line)) yield return line;
            }
        }
        if (seen.Count == 0) yield return "it does not validate";
    }

    private static string Unfence(string answer)
    {
        var text = answer.Trim();
        if (!text.StartsWith("```", StringComparison.Ordinal)) return text;
        var firstLine = text.IndexOf('\n', StringComparison.Ordinal);
        var close = text.LastIndexOf("```", StringComparison.Ordinal);
        return firstLine > 0 && close > firstLine ? text[(firstLine + 1)..close].Trim() : text;
    }

    private static string Quote(string text) => JsonValue.Create(text.Length > 200 ? text[..200] + "…" : text).ToJsonString(Readable);

    // Quotes the model's words as written: quotes inside stay escaped, apostrophes and angle brackets readable.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JsonElement ToElement(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }
}
