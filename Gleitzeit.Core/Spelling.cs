namespace Gleitzeit.Core;

/// <summary>
/// "Did you mean" suggestions for every name a user can misspell: workflow keys, task ids, dependencies, configuration keys,
/// parameter names. One rule everywhere, so the same typo gets the same answer from the loader, the validator and the CLI.
/// Self-contained (the CLI compiles this file in as well), so it depends on nothing else in Core.
/// </summary>
internal static class Spelling
{
    /// <summary>The known name closest to <paramref name="name"/> (ignoring case), or null when none is close enough to be a typo of it.</summary>
    /// <remarks>
    /// Close enough: at most max(2, a third of the name's length) edits, or one name a prefix of the other
    /// of three or more letters (<c>depends</c> → <c>depends_on</c>). Ties go to the name listed first.
    /// </remarks>
    public static string? Suggest(string name, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(known);
        if (name.Length == 0) return null;
        var lower = name.ToLowerInvariant();
        var limit = Math.Max(2, name.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            if (string.IsNullOrEmpty(candidate) || string.Equals(candidate, name, StringComparison.Ordinal)) continue;
            var prefix = Math.Min(candidate.Length, name.Length) >= 3
                && (candidate.StartsWith(name, StringComparison.OrdinalIgnoreCase) || name.StartsWith(candidate, StringComparison.OrdinalIgnoreCase));
            // Names whose lengths differ by more than the limit cannot be within it: skip the quadratic distance for them.
            var distance = prefix ? Math.Abs(candidate.Length - name.Length)
                : Math.Abs(candidate.Length - name.Length) > limit ? int.MaxValue
                : Distance(lower, candidate.ToLowerInvariant());
            var acceptable = prefix || distance <= limit;
            if (acceptable && distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }
        return best;
    }

    /// <summary><c> (did you mean 'x'?)</c> for the closest known name, or an empty string when none is close.</summary>
    public static string DidYouMean(string name, IEnumerable<string> known) =>
        Suggest(name, known) is { } suggestion ? $" (did you mean '{suggestion}'?)" : "";

    /// <summary>Levenshtein distance between two strings (insertions, deletions and substitutions each count one).</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
