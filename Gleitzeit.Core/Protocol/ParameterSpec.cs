namespace Gleitzeit.Core.Protocol;

/// <summary>One parameter of a method.</summary>
public sealed record ParameterSpec(string Name, ParameterType Type, bool Required = false, string? Description = null)
{
    /// <summary>Whether the value may hold <c>${...}</c> references (default true). False: refused at validation.</summary>
    public bool AcceptsReferences { get; init; } = true;

    /// <summary>
    /// A further check of a value of the right type (a JSON Schema that must be valid, a list of known names, ...):
    /// given the value and whether <c>${...}</c> references are still unresolved, it returns each problem, its
    /// <see cref="ParameterProblem.Parameter"/> relative to this parameter (null: the parameter itself).
    /// </summary>
    public Func<System.Text.Json.Nodes.JsonNode, bool, IEnumerable<ParameterProblem>>? Check { get; init; }
}
