using NUnit.Framework;

namespace Gleitzeit.Testing;

/// <summary>
/// Where the tests' workflow files are: the repository's own fixtures (<c>tests/fixtures/workflows</c>, always there),
/// and the original Gleitzeit 0.0.4 example workflows (<c>shared/conformance/original-examples</c> in a folder above
/// the clone, as in the project workspace and CI; a plain clone has none, and the checks against them report skipped).
/// </summary>
public static class TestData
{
    /// <summary>The folder of the original examples, relative to a directory above the clone.</summary>
    public const string OriginalExamplesFolder = "shared/conformance/original-examples";

    /// <summary><c>tests/fixtures/workflows</c> of this repository: workflow files in every form of the original format.</summary>
    public static string Fixtures => LazyFixtures.Value;

    private static readonly Lazy<string> LazyFixtures = new(FindFixtures);

    /// <summary>The original examples, or null when no directory above the test assembly has them.</summary>
    public static string? OriginalExamplesOrNull()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "conformance", "original-examples");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Why the checks against the original examples are skipped on this machine.</summary>
    public static string OriginalExamplesMissing =>
        $"SKIPPED: {OriginalExamplesFolder} is not in any directory above {AppContext.BaseDirectory}. " +
        "These checks run the original Gleitzeit 0.0.4 workflows and need that folder beside the clone (as in CI); " +
        "the repository's own fixtures (tests/fixtures/workflows) cover the same forms.";

    /// <summary>The original examples; when they are absent, the calling test (or fixture setup) is ignored, so it reports skipped.</summary>
    public static string OriginalExamples()
    {
        if (OriginalExamplesOrNull() is { } found) return found;
        Assert.Ignore(OriginalExamplesMissing);
        return "";
    }

    /// <summary>Copies a directory tree (for runs against a temporary copy).</summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    private static string FindFixtures()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "workflows");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Gleitzeit.sln"))) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/workflows not found above {AppContext.BaseDirectory}: run the tests from a clone of the repository.");
    }
}
