namespace Gleitzeit.Core.Definitions;

/// <summary>Where in a workflow file something is (1-based line and column).</summary>
public sealed record SourceLocation(string? File, int Line, int Column)
{
    public override string ToString() => File is null ? $"{Line}:{Column}" : $"{File}:{Line}:{Column}";
}
