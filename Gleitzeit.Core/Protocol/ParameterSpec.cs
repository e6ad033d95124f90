namespace Gleitzeit.Core.Protocol;

/// <summary>One parameter of a method.</summary>
public sealed record ParameterSpec(string Name, ParameterType Type, bool Required = false, string? Description = null);
