namespace Gleitzeit.Core.Definitions;

/// <summary>Where in a workflow file something is (1-based line and column).</summary>
public sealed record SourceLocation(string? File, int Line, int Column)
{
    /// <c>file:line:column</c>, or <c>line:column</c> when the file is unknown.
    public override string ToString() => File is null ? $"{Line}:{Column}" : $"{File}:{Line}:{Column}";
}
