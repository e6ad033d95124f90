using Microsoft.Extensions.FileSystemGlobbing;

namespace Gleitzeit.Core.Batch;

/// <summary>Finds the files of a batch: glob patterns under a directory, sorted ordinally so runs are repeatable.</summary>
internal static class BatchFiles
{
    /// <summary>
    /// Full paths of the files under <paramref name="directory"/> matching <paramref name="pattern"/>: <c>*</c> and <c>?</c>
    /// within one folder, <c>**</c> across folders (<c>*.txt</c> is the top folder only, <c>**/*.txt</c> every folder);
    /// several patterns separated by <c>;</c> or <c>,</c>. Sorted ordinally by path relative to the directory.
    /// Throws <see cref="DirectoryNotFoundException"/> naming the directory when it does not exist.
    /// </summary>
    public static IReadOnlyList<string> Scan(string directory, string pattern)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Batch directory '{directory}' does not exist (looked for {root}).");
        }
        var patterns = SplitPatterns(pattern);
        var matcher = new Matcher(StringComparison.Ordinal);
        foreach (var p in patterns) matcher.AddInclude(p);
        var files = matcher.GetResultsInFullPath(root).ToList();
        files.Sort((a, b) => string.CompareOrdinal(Path.GetRelativePath(root, a), Path.GetRelativePath(root, b)));
        return files;
    }

    /// <summary>The patterns in <paramref name="pattern"/> (empty means every file in the top folder).</summary>
    public static IReadOnlyList<string> SplitPatterns(string? pattern)
    {
        var parts = (pattern ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 0 ? ["*"] : parts;
    }
}
