namespace Gleitzeit.Core.Substitution;

/// <summary>One step of a reference path: a field name or a list index.</summary>
public readonly record struct PathSegment(string? Field, int Index)
{
    /// <summary>True for a list index, false for a field name.</summary>
    public bool IsIndex => Field is null;

    /// <c>[index]</c> or <c>.field</c>.
    public override string ToString() => IsIndex ? $"[{Index}]" : "." + Field;
}
