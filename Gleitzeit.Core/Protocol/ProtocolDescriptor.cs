using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

/// <summary>A protocol: name and version (together the id <c>llm/v1</c>) and the methods it serves.</summary>
public sealed record ProtocolDescriptor(string Name, string Version, IReadOnlyList<MethodDescriptor> Methods, string? Description = null)
{
    public string Id => $"{Name}/{Version}";

    /// <summary>The method with that name: an exact match first, then a wildcard such as <c>tool.*</c>.</summary>
    public MethodDescriptor? FindMethod(string method)
    {
        MethodDescriptor? wildcard = null;
        foreach (var m in Methods)
        {
            if (string.Equals(m.Name, method, StringComparison.Ordinal)) return m;
            if (wildcard is null && m.IsWildcard && method.StartsWith(m.Name.AsSpan(0, m.Name.Length - 1), StringComparison.Ordinal) && method.Length > m.Name.Length - 1)
            {
                wildcard = m;
            }
        }
        return wildcard;
    }
}

/// <summary>
/// A method and its parameters. A name ending in <c>*</c> (such as <c>tool.*</c>) matches every method with that
/// prefix; its provider validates the arguments itself.
/// </summary>
public sealed record MethodDescriptor(string Name, IReadOnlyList<ParameterSpec> Parameters, string? Description = null)
{
    public MethodDescriptor(string name, params ParameterSpec[] parameters) : this(name, (IReadOnlyList<ParameterSpec>)parameters) { }

    /// <summary>Whether parameters not listed are accepted (true by default: the original format passes extra fields through).</summary>
    public bool AllowAdditionalParameters { get; init; } = true;

    /// <summary>Groups of parameters of which at least one must be present, e.g. <c>["messages", "prompt"]</c>.</summary>
    public IReadOnlyList<IReadOnlyList<string>> RequireOneOf { get; init; } = [];

    public bool IsWildcard => Name.EndsWith('*');

    /// <summary>Checks parameters against the specs; returns one message per problem (empty when valid).
    /// Values that are still unresolved <c>${...}</c> references are not type-checked.</summary>
    public IReadOnlyList<string> Validate(JsonObject parameters, bool referencesUnresolved = false)
    {
        List<string>? errors = null;
        for (var i = 0; i < Parameters.Count; i++)
        {
            var spec = Parameters[i];
            if (!parameters.TryGetPropertyValue(spec.Name, out var value) || value is null)
            {
                if (spec.Required) (errors ??= []).Add($"missing required parameter '{spec.Name}' ({spec.Type.Describe()})");
                continue;
            }
            if (!spec.AcceptsReferences && value is JsonValue r && r.TryGetValue<string>(out var text) && FirstReference(text) is { } reference)
            {
                (errors ??= []).Add($"parameter '{spec.Name}' cannot hold a reference ({reference}): write it out in the workflow, so that no value from another task chooses it");
                continue;
            }
            if (referencesUnresolved && value is JsonValue v && v.TryGetValue<string>(out var s) && s.Contains("${", StringComparison.Ordinal)) continue;
            if (!spec.Type.Accepts(value))
            {
                (errors ??= []).Add($"parameter '{spec.Name}' must be {spec.Type.Describe()}, got {JsonTypes.Describe(value)}");
            }
        }
        foreach (var group in RequireOneOf)
        {
            if (!group.Any(name => parameters.TryGetPropertyValue(name, out var v) && v is not null))
            {
                (errors ??= []).Add($"one of the parameters {string.Join(", ", group.Select(g => $"'{g}'"))} is required");
            }
        }
        if (!AllowAdditionalParameters)
        {
            foreach (var (name, _) in parameters)
            {
                if (!Parameters.Any(p => p.Name == name)) (errors ??= []).Add($"unknown parameter '{name}'; known: {string.Join(", ", Parameters.Select(p => p.Name))}");
            }
        }
        return errors ?? (IReadOnlyList<string>)[];
    }

    private static Substitution.Reference? FirstReference(string text)
    {
        if (!Substitution.Template.MayContainReferences(text)) return null;
        try
        {
            return Substitution.Template.Parse(text).References.FirstOrDefault();
        }
        catch (FormatException)
        {
            return null; // reported where the template is resolved
        }
    }
}

/// <summary>One parameter of a method.</summary>
public sealed record ParameterSpec(string Name, ParameterType Type, bool Required = false, string? Description = null)
{
    /// <summary>Whether the value may hold <c>${...}</c> references (default true). False: refused at validation.</summary>
    public bool AcceptsReferences { get; init; } = true;
}

/// <summary>JSON types a parameter accepts (flags: <c>String | Array</c> accepts either).</summary>
[Flags]
public enum ParameterType
{
    String = 1,
    Number = 2,
    Integer = 4,
    Boolean = 8,
    Array = 16,
    Object = 32,
    Any = String | Number | Integer | Boolean | Array | Object,
}

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
