using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

internal static class JsonTypes
{
    public static bool Accepts(this ParameterType type, JsonNode value) => value switch
    {
        JsonObject => type.HasFlag(ParameterType.Object),
        JsonArray => type.HasFlag(ParameterType.Array),
        JsonValue v => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => type.HasFlag(ParameterType.String),
            System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => type.HasFlag(ParameterType.Boolean),
            System.Text.Json.JsonValueKind.Number => type.HasFlag(ParameterType.Number) || (type.HasFlag(ParameterType.Integer) && IsInteger(v)),
            _ => false,
        },
        _ => false,
    };

    // Parse the JSON text: a node made from a CLR int does not convert to long or double through TryGetValue.
    private static bool IsInteger(JsonValue v) =>
        decimal.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && decimal.Truncate(d) == d;

    public static string Describe(this ParameterType type)
    {
        if (type == ParameterType.Any) return "any value";
        var names = new List<string>();
        if (type.HasFlag(ParameterType.String)) names.Add("a string");
        if (type.HasFlag(ParameterType.Number)) names.Add("a number");
        else if (type.HasFlag(ParameterType.Integer)) names.Add("an integer");
        if (type.HasFlag(ParameterType.Boolean)) names.Add("a boolean");
        if (type.HasFlag(ParameterType.Array)) names.Add("a list");
        if (type.HasFlag(ParameterType.Object)) names.Add("an object");
        return string.Join(" or ", names);
    }

    public static string Describe(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => "a string",
            System.Text.Json.JsonValueKind.Number => "a number",
            System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "a boolean",
            _ => "null",
        },
        _ => "a value",
    };
}
