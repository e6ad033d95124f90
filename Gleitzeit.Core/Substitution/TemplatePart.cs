namespace Gleitzeit.Core.Substitution;

/// <summary>A piece of a template: literal text, or a reference.</summary>
public readonly record struct TemplatePart(string? Text, Reference? Reference, int Start, int Length);
