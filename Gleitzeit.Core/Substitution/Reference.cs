namespace Gleitzeit.Core.Substitution;

/// <summary>A parsed <c>${root.path}</c>: root is a task id (or <c>inputs</c>), path the fields and indexes below it.</summary>
public sealed record Reference(string Root, IReadOnlyList<PathSegment> Path, string Expression)
{
    public const string InputsRoot = "inputs";

    public bool IsInput => Root == InputsRoot;

    public override string ToString() => "${" + Expression + "}";
}
