using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

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
