using System.Text;
using System.Text.RegularExpressions;
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
        // The globbing library knows * and ** but not ?: it walks with ? widened to *, and a regex keeps exact matches.
        foreach (var p in patterns) matcher.AddInclude(p.Replace('?', '*'));
        var exact = patterns.Any(p => p.Contains('?', StringComparison.Ordinal)) ? patterns.Select(ToRegex).ToList() : null;
        var files = new List<(string Relative, string Full)>();
        foreach (var full in matcher.GetResultsInFullPath(root))
        {
            var relative = Path.GetRelativePath(root, full).Replace('\\', '/');
            if (exact is null || exact.Any(r => r.IsMatch(relative))) files.Add((relative, full));
        }
        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return files.Select(f => f.Full).ToList();
    }

    private static Regex ToRegex(string pattern)
    {
        var p = pattern.Replace('\\', '/').TrimStart('/');
        if (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        var sb = new StringBuilder("^");
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == '*' && i + 1 < p.Length && p[i + 1] == '*')
            {
                var slash = i + 2 < p.Length && p[i + 2] == '/';
                sb.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (p[i] == '*') sb.Append("[^/]*");
            else if (p[i] == '?') sb.Append("[^/]");
            else sb.Append(Regex.Escape(p[i].ToString()));
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    /// <summary>The patterns in <paramref name="pattern"/> (empty means every file in the top folder).</summary>
    public static IReadOnlyList<string> SplitPatterns(string? pattern)
    {
        var parts = (pattern ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 0 ? ["*"] : parts;
    }
}
