using System.IO.Enumeration;
using System.Text;
using System.Text.RegularExpressions;

namespace Gleitzeit.Core.Batch;

/// <summary>
/// Finds the files of a batch: glob patterns under a directory, sorted ordinally so runs are repeatable. The walk is bounded:
/// every real folder is read once however many links lead to it (so symbolic link loops end), and links that lead out of the
/// batch folder are not followed unless asked.
/// </summary>
internal static class BatchFiles
{
    /// <summary>
    /// Full paths of the files under <paramref name="directory"/> matching <paramref name="pattern"/>: <c>*</c> and <c>?</c>
    /// within one folder, <c>**</c> across folders (<c>*.txt</c> is the top folder only, <c>**/*.txt</c> every folder);
    /// several patterns separated by <c>;</c> or <c>,</c>. Sorted ordinally by path relative to the directory.
    /// Files behind links that lead out of the folder are left out (see <see cref="Walk"/>).
    /// Throws <see cref="DirectoryNotFoundException"/> naming the directory when it does not exist.
    /// </summary>
    public static IReadOnlyList<string> Scan(string directory, string pattern, CancellationToken cancellationToken = default) =>
        Walk(directory, pattern, followExternalLinks: false, cancellationToken).Files;

    /// <summary>
    /// Walks <paramref name="directory"/> for files matching <paramref name="pattern"/> (see <see cref="Scan"/>). Symbolic links
    /// are followed while their target stays inside the folder; a folder reached again (a loop, or a second link to it) is not
    /// read again. Links that lead out of the folder are followed only with <paramref name="followExternalLinks"/>; otherwise a
    /// matching file link is returned in <see cref="BatchScan.Refused"/> with the reason, and a folder link is not entered.
    /// Non-regular files (FIFOs, devices, sockets) and dangling links are returned as files: reading them is refused per file.
    /// </summary>
    public static BatchScan Walk(string directory, string pattern, bool followExternalLinks, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Batch directory '{directory}' does not exist (looked for {root}).");
        }
        var patterns = SplitPatterns(pattern).Select(ToRegex).ToList();
        var maxDepth = SplitPatterns(pattern).Max(Depth);
        var rootReal = RealPath(root) ?? root;
        var visited = new HashSet<string>(StringComparer.Ordinal) { rootReal };
        var found = new List<(string Relative, string Full, string? Real, bool IsLink)>();
        var refused = new List<(string Relative, string Full, string Reason)>();
        // Real folders first, folders behind links after: a folder reached both ways is read under its own path, and
        // since every real folder is read once, links that loop back lead nowhere new.
        var pending = new Stack<(string Full, string Real, string Relative, int Depth)>();
        var linked = new Queue<(string Full, string Real, string Relative, int Depth)>();
        pending.Push((root, rootReal, "", 0));
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = 0, RecurseSubdirectories = false, ReturnSpecialDirectories = false };
        while (pending.Count > 0 || linked.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (pending.Count == 0)
            {
                var link = linked.Dequeue();
                if (visited.Add(link.Real)) pending.Push(link);
                continue;
            }
            var (dirFull, dirReal, dirRelative, depth) = pending.Pop();
            List<Entry> entries;
            try
            {
                // The listing's own entry types: no stat per entry. Whether an entry is a link costs a readlink, so it is
                // asked only of folders and of files that match.
                entries = new FileSystemEnumerable<Entry>(dirFull,
                    (ref FileSystemEntry e) => new Entry(e.FileName.ToString(), e.ToFullPath(), e.IsDirectory),
                    options).ToList();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // a folder that vanished or cannot be listed holds no files for this batch
            }
            entries.Sort((a, b) => string.CompareOrdinal(b.Name, a.Name)); // reversed: the stack then pops them in order
            foreach (var entry in entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var relative = dirRelative.Length == 0 ? entry.Name : dirRelative + "/" + entry.Name;
                // IsDirectory is true for a folder and for a link to one; a dangling link is not a folder.
                if (!entry.IsDirectory && !patterns.Any(r => r.IsMatch(relative))) continue;
                var isLink = IsLink(entry.FullName);
                var real = isLink ? RealPath(entry.FullName) : Path.Join(dirReal, entry.Name);
                var inside = real is not null && IsInside(real, rootReal);
                if (entry.IsDirectory && real is not null)
                {
                    if (depth + 1 > maxDepth || (!inside && !followExternalLinks)) continue;
                    if (isLink) linked.Enqueue((entry.FullName, real, relative, depth + 1));
                    else if (visited.Add(real)) pending.Push((entry.FullName, real, relative, depth + 1));
                    continue;
                }
                if (entry.IsDirectory && !patterns.Any(r => r.IsMatch(relative))) continue;
                if (real is not null && !inside && !followExternalLinks)
                {
                    refused.Add((relative, entry.FullName,
                        $"is a symbolic link to {real}, outside the batch folder {rootReal}: not followed (allow it with BatchRequest.FollowExternalLinks, --follow-links for the CLI)"));
                    continue;
                }
                found.Add((relative, entry.FullName, real, isLink));
            }
        }
        // The same file reached through several paths is processed once: under its own path when that matched, else the first.
        var files = found
            .GroupBy(f => f.Real ?? "\0" + f.Full, StringComparer.Ordinal)
            .Select(g => g.OrderBy(f => f.IsLink).ThenBy(f => f.Relative, StringComparer.Ordinal).First())
            .ToList();
        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        refused.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return new BatchScan(files.Select(f => f.Full).ToList(), refused.Select(r => (r.Full, r.Reason)).ToList());
    }

    private readonly record struct Entry(string Name, string FullName, bool IsDirectory);

    private static bool IsLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsInside(string real, string rootReal) =>
        real.Length > rootReal.Length
            ? real.StartsWith(rootReal, StringComparison.Ordinal) && (real[rootReal.Length] == '/' || real[rootReal.Length] == Path.DirectorySeparatorChar || rootReal.EndsWith('/'))
            : string.Equals(real, rootReal, StringComparison.Ordinal);

    /// <summary>How many folders down a pattern can match: the number of separators, or unlimited with <c>**</c>.</summary>
    private static int Depth(string pattern)
    {
        var p = pattern.Replace('\\', '/').TrimStart('/');
        if (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return p.Contains("**", StringComparison.Ordinal) ? int.MaxValue : p.Count(c => c == '/');
    }

    /// <summary>
    /// The path with every symbolic link resolved, like <c>realpath(3)</c>; null when a link dangles or links loop
    /// (more than 40 links on the way).
    /// </summary>
    internal static string? RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "/";
        var remaining = new Stack<string>(full[root.Length..].Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = root;
        var hops = 0;
        while (remaining.Count > 0)
        {
            var part = remaining.Pop();
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            var next = Path.Join(current, part);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
            if (target is null)
            {
                if (!Path.Exists(next)) return null;
                current = next;
                continue;
            }
            if (++hops > 40) return null;
            if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target) ?? root;
            foreach (var piece in target[(Path.IsPathRooted(target) ? (Path.GetPathRoot(target)?.Length ?? 0) : 0)..]
                .Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                remaining.Push(piece);
            }
        }
        return current;
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
