using Gleitzeit.Core;

namespace Gleitzeit.Conformance.Tests;

/// <summary>docs/errors.md lists every error code with its number, name and whether it is retried, as the code says.</summary>
public class ErrorsDocumentTests
{
    public static IEnumerable<GleitzeitErrorCode> Codes() => Enum.GetValues<GleitzeitErrorCode>();

    [TestCaseSource(nameof(Codes))]
    public void Every_code_is_documented_with_its_retry_behaviour(GleitzeitErrorCode code)
    {
        var lines = File.ReadAllLines(Path.Combine(Locations.RepositoryRoot, "docs", "errors.md"));
        var row = lines.SingleOrDefault(l => l.StartsWith($"| {(int)code} | `{code.Name()}` |", StringComparison.Ordinal));

        Assert.That(row, Is.Not.Null, $"docs/errors.md has no row for {(int)code} {code.Name()}");
        var cells = row!.Split('|', StringSplitOptions.TrimEntries);
        Assert.That(cells[4], Is.EqualTo(code.IsRetryable() ? "yes" : "no"), $"retried column of {code.Name()}");
    }
}
