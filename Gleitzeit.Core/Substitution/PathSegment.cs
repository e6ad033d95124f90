namespace Gleitzeit.Core.Substitution;

/// <summary>One step of a reference path: a field name or a list index.</summary>
public readonly record struct PathSegment(string? Field, int Index)
{
    public bool IsIndex => Field is null;

    public override string ToString() => IsIndex ? $"[{Index}]" : "." + Field;
}
