namespace Gleitzeit.Core.Substitution;

/// <summary>A parsed <c>${root.path}</c>: root is a task id (or <c>inputs</c>), path the fields and indexes below it.</summary>
public sealed record Reference(string Root, IReadOnlyList<PathSegment> Path, string Expression)
{
    /// <summary>The root naming the workflow's inputs instead of a task: <c>${inputs.name}</c>.</summary>
    public const string InputsRoot = "inputs";

    /// <summary>True when the reference reads the workflow's inputs rather than a task's result.</summary>
    public bool IsInput => Root == InputsRoot;

    /// <summary>The reference as written: <c>${expression}</c>.</summary>
    public override string ToString() => "${" + Expression + "}";
}
