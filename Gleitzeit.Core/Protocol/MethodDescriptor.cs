using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

/// <summary>
/// A method and its parameters. A name ending in <c>*</c> (such as <c>tool.*</c>) matches every method with that
/// prefix; its provider validates the arguments itself.
/// </summary>
public sealed record MethodDescriptor(string Name, IReadOnlyList<ParameterSpec> Parameters, string? Description = null)
{
    /// <summary>Describes the method <paramref name="name"/> taking <paramref name="parameters"/>.</summary>
    public MethodDescriptor(string name, params ParameterSpec[] parameters) : this(name, (IReadOnlyList<ParameterSpec>)parameters) { }

    private readonly bool? _allowAdditionalParameters;

    /// <summary>
    /// Whether parameters not listed are accepted. By default a method that lists its parameters is strict: an unknown
    /// parameter (a typo such as <c>temprature</c>) is a validation error naming the nearest known one, never silently
    /// dropped; a method that lists none accepts anything. A wildcard method (<c>tool.*</c>) passes its parameters to the
    /// callee, which checks them itself, so this applies only to methods with a fixed name.
    /// </summary>
    public bool AllowAdditionalParameters
    {
        get => _allowAdditionalParameters ?? Parameters.Count == 0;
        init => _allowAdditionalParameters = value;
    }

    /// <summary>Groups of parameters of which at least one must be present, e.g. <c>["messages", "prompt"]</c>.</summary>
    public IReadOnlyList<IReadOnlyList<string>> RequireOneOf { get; init; } = [];

    /// <summary>True when the name ends in <c>*</c> and matches every method with that prefix.</summary>
    public bool IsWildcard => Name.EndsWith('*');

    /// <summary>Checks parameters against the specs; returns one message per problem (empty when valid).
    /// Values that are still unresolved <c>${...}</c> references are not type-checked.</summary>
    public IReadOnlyList<string> Validate(JsonObject parameters, bool referencesUnresolved = false)
    {
        var problems = ValidateParameters(parameters, referencesUnresolved);
        return problems.Count == 0 ? [] : problems.Select(p => p.Message).ToList();
    }

    /// <summary>
    /// Checks parameters against the specs; returns each problem with the parameter it concerns, so that a workflow file's
    /// error can point at it. Values that are still unresolved <c>${...}</c> references are not type-checked.
    /// </summary>
    public IReadOnlyList<ParameterProblem> ValidateParameters(JsonObject parameters, bool referencesUnresolved = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        List<ParameterProblem>? errors = null;
        for (var i = 0; i < Parameters.Count; i++)
        {
            var spec = Parameters[i];
            if (!parameters.TryGetPropertyValue(spec.Name, out var value) || value is null)
            {
                if (spec.Required) (errors ??= []).Add(new(spec.Name, $"missing required parameter '{spec.Name}' ({spec.Type.Describe()})"));
                continue;
            }
            if (!spec.AcceptsReferences && value is JsonValue r && r.TryGetValue<string>(out var text) && FirstReference(text) is { } reference)
            {
                (errors ??= []).Add(new(spec.Name, $"parameter '{spec.Name}' cannot hold a reference ({reference}): write it out in the workflow, so that no value from another task chooses it"));
                continue;
            }
            if (referencesUnresolved && value is JsonValue v && v.TryGetValue<string>(out var s) && s.Contains("${", StringComparison.Ordinal)) continue;
            if (!spec.Type.Accepts(value))
            {
                (errors ??= []).Add(new(spec.Name, $"parameter '{spec.Name}' must be {spec.Type.Describe()}, got {JsonTypes.Describe(value)}"));
                continue;
            }
            if (spec.Check is { } check)
            {
                foreach (var problem in check(value, referencesUnresolved))
                {
                    (errors ??= []).Add(problem with
                    {
                        Parameter = problem.Parameter is null ? spec.Name : problem.Parameter.StartsWith('[') ? spec.Name + problem.Parameter : $"{spec.Name}.{problem.Parameter}",
                        Message = problem.Message.StartsWith(spec.Name, StringComparison.Ordinal) ? problem.Message : $"parameter '{spec.Name}': {problem.Message}",
                    });
                }
            }
        }
        // Indexed loops and no lambda over the parameters: every task is validated at submit, and a closure or an
        // enumerator here would be allocated for each.
        for (var g = 0; g < RequireOneOf.Count; g++)
        {
            var group = RequireOneOf[g];
            if (!AnyPresent(parameters, group))
            {
                (errors ??= []).Add(new(null, $"one of the parameters {string.Join(", ", group.Select(g => $"'{g}'"))} is required"));
            }
        }
        if (!AllowAdditionalParameters && !IsWildcard)
        {
            for (var p = 0; p < parameters.Count; p++)
            {
                var name = parameters.GetAt(p).Key;
                if (FindParameter(name) is not null || InRequireOneOf(name)) continue;
                var known = Parameters.Select(p => p.Name).Concat(RequireOneOf.SelectMany(g => g)).Distinct().ToList();
                var hint = Spelling.Suggest(name, known) is { } suggestion ? $"did you mean '{suggestion}'? " : "";
                (errors ??= []).Add(new(name, $"unknown parameter '{name}' for {Name}: {hint}known parameters: {string.Join(", ", known)}"));
            }
        }
        return errors ?? (IReadOnlyList<ParameterProblem>)[];
    }

    private static bool AnyPresent(JsonObject parameters, IReadOnlyList<string> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (parameters.TryGetPropertyValue(names[i], out var value) && value is not null) return true;
        }
        return false;
    }

    private bool InRequireOneOf(string name)
    {
        for (var g = 0; g < RequireOneOf.Count; g++)
        {
            if (RequireOneOf[g].Contains(name)) return true;
        }
        return false;
    }

    /// <summary>The spec of the parameter named <paramref name="name"/>, or null.</summary>
    public ParameterSpec? FindParameter(string name)
    {
        for (var i = 0; i < Parameters.Count; i++)
        {
            if (string.Equals(Parameters[i].Name, name, StringComparison.Ordinal)) return Parameters[i];
        }
        return null;
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
