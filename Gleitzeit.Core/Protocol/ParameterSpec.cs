namespace Gleitzeit.Core.Protocol;

/// <summary>One parameter of a method.</summary>
public sealed record ParameterSpec(string Name, ParameterType Type, bool Required = false, string? Description = null)
{
    /// <summary>Whether the value may hold <c>${...}</c> references (default true). False: refused at validation.</summary>
    public bool AcceptsReferences { get; init; } = true;
}
