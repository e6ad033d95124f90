namespace Gleitzeit.Core.Definitions;

/// <summary>
/// How a <c>workflow/run</c> task's <c>workflow</c> names its child: a file (found relative to the parent's directory)
/// or a registered name. Compiled into the engine and (linked, internal) into the Redis workers, so both find a
/// sub-workflow file the same way.
/// </summary>
internal static class SubWorkflowFiles
{
    /// <summary>A file path (a separator, or a .yaml/.yml/.json extension) rather than a registered name.</summary>
    public static bool LooksLikeFile(string spec) =>
        spec.Contains('/', StringComparison.Ordinal) || spec.Contains('\\', StringComparison.Ordinal)
        || spec.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || spec.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
        || spec.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The absolute path of a sub-workflow file: relative to the parent's directory (its file's), else the current one.</summary>
    public static string PathOf(Workflow parent, string spec) => Path.GetFullPath(Path.Combine(parent.BaseDirectory ?? Directory.GetCurrentDirectory(), spec));
}
