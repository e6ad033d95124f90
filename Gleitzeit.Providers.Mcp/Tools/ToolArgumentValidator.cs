using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gleitzeit.Providers.Mcp.Tools;

/// <summary>
/// Checks tool arguments against the tool's input JSON Schema before the call: required properties, types
/// (nested objects and list items too), enums and consts, and unknown arguments when the schema forbids them.
/// Keywords it does not know are ignored: the server still has the last word.
/// </summary>
internal static class ToolArgumentValidator
{
    public static IReadOnlyList<string> Validate(JsonObject arguments, JsonObject? schema)
    {
        var errors = new List<string>();
        if (schema is not null) ValidateObject(arguments, schema, "", errors);
        return errors;
    }

    private static void ValidateObject(JsonObject value, JsonObject schema, string path, List<string> errors)
    {
        var properties = schema["properties"] as JsonObject;
        if (schema["required"] is JsonArray required)
        {
            foreach (var r in required)
            {
                if (r is JsonValue rv && rv.TryGetValue<string>(out var name) && !value.ContainsKey(name))
                {
                    var expected = properties?[name] is JsonObject ps ? " (" + DescribeSchema(ps) + ")" : "";
                    errors.Add($"missing required argument '{Join(path, name)}'{expected}");
                }
            }
        }
        foreach (var (name, node) in value)
        {
            if (properties?[name] is JsonObject propertySchema)
            {
                ValidateValue(node, propertySchema, Join(path, name), errors);
            }
            else if (schema["additionalProperties"] is JsonValue ap && ap.GetValueKind() == JsonValueKind.False)
            {
                var known = properties is null || properties.Count == 0 ? "it takes none" : "known: " + string.Join(", ", properties.Select(p => p.Key));
                errors.Add($"unknown argument '{Join(path, name)}' ({known})");
            }
            else if (schema["additionalProperties"] is JsonObject additional)
            {
                ValidateValue(node, additional, Join(path, name), errors);
            }
        }
    }

    private static void ValidateValue(JsonNode? value, JsonObject schema, string path, List<string> errors)
    {
        if ((schema["anyOf"] ?? schema["oneOf"]) is JsonArray choices)
        {
            var alternatives = choices.OfType<JsonObject>().ToList();
            if (alternatives.Count > 0 && !alternatives.Any(a => Accepts(value, a)))
            {
                errors.Add($"argument '{path}' must be {string.Join(" or ", alternatives.Select(DescribeSchema).Distinct())}, got {Describe(value)}");
            }
            return;
        }
        var types = Types(schema);
        if (types.Count > 0 && !types.Any(t => HasType(value, t)))
        {
            errors.Add($"argument '{path}' must be {DescribeSchema(schema)}, got {Describe(value)}");
            return;
        }
        if (schema["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, value)))
        {
            errors.Add($"argument '{path}' must be one of {string.Join(", ", options.Select(o => o?.ToJsonString() ?? "null"))}, got {Describe(value)}");
            return;
        }
        if (schema.TryGetPropertyValue("const", out var constant) && !JsonNode.DeepEquals(constant, value))
        {
            errors.Add($"argument '{path}' must be {constant?.ToJsonString() ?? "null"}, got {Describe(value)}");
            return;
        }
        switch (value)
        {
            case JsonObject obj:
                ValidateObject(obj, schema, path, errors);
                break;
            case JsonArray array when schema["items"] is JsonObject items:
                for (var i = 0; i < array.Count; i++) ValidateValue(array[i], items, $"{path}[{i}]", errors);
                break;
        }
    }

    private static bool Accepts(JsonNode? value, JsonObject schema)
    {
        var errors = new List<string>();
        ValidateValue(value, schema, "", errors);
        return errors.Count == 0;
    }

    private static List<string> Types(JsonObject schema) => schema["type"] switch
    {
        JsonValue v when v.TryGetValue<string>(out var t) => [t],
        JsonArray a => a.OfType<JsonValue>().Select(x => x.TryGetValue<string>(out var t) ? t : null).OfType<string>().ToList(),
        _ => [],
    };

    private static bool HasType(JsonNode? value, string type) => (type, value) switch
    {
        ("null", null) => true,
        ("object", JsonObject) => true,
        ("array", JsonArray) => true,
        (_, JsonValue v) => (type, v.GetValueKind()) switch
        {
            ("string", JsonValueKind.String) => true,
            ("boolean", JsonValueKind.True or JsonValueKind.False) => true,
            ("number", JsonValueKind.Number) => true,
            ("integer", JsonValueKind.Number) => IsInteger(v),
            _ => false,
        },
        _ => false,
    };

    // A JsonValue made from an int does not convert to long through TryGetValue: read it as JSON.
    private static bool IsInteger(JsonValue value)
    {
        var element = JsonElement.Parse(value.ToJsonString());
        return element.TryGetInt64(out _) || (element.TryGetDouble(out var d) && Math.Floor(d) == d && !double.IsInfinity(d));
    }

    private static string DescribeSchema(JsonObject schema)
    {
        if (schema["enum"] is JsonArray options && Types(schema).Count == 0) return "one of " + string.Join(", ", options.Select(o => o?.ToJsonString() ?? "null"));
        var types = Types(schema);
        if (types.Count == 0) return "any value";
        return string.Join(" or ", types.Select(t => t switch
        {
            "string" => "a string",
            "number" => "a number",
            "integer" => "an integer",
            "boolean" => "a boolean",
            "array" => schema["items"] is JsonObject items && Types(items).Count > 0 ? $"a list of {Plural(DescribeSchema(items))}" : "a list",
            "object" => "an object",
            "null" => "null",
            _ => t,
        }));
    }

    private static string Plural(string description) => description switch
    {
        "a string" => "strings",
        "a number" => "numbers",
        "an integer" => "integers",
        "a boolean" => "booleans",
        "an object" => "objects",
        _ => description,
    };

    internal static string Describe(JsonNode? value)
    {
        var text = value?.ToJsonString() ?? "null";
        if (text.Length > 40) text = string.Concat(text.AsSpan(0, 37), "...");
        var kind = value switch
        {
            null => "null",
            JsonObject => "an object",
            JsonArray => "a list",
            JsonValue v => v.GetValueKind() switch
            {
                JsonValueKind.String => "a string",
                JsonValueKind.Number => "a number",
                JsonValueKind.True or JsonValueKind.False => "a boolean",
                _ => "null",
            },
            _ => "a value",
        };
        return kind == "null" ? "null" : string.Create(CultureInfo.InvariantCulture, $"{kind} ({text})");
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;
}
