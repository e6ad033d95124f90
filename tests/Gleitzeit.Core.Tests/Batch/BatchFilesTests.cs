using Gleitzeit.Core.Batch;

namespace Gleitzeit.Core.Tests.Batch;

public class BatchFilesTests
{
    private DirectoryInfo _dir = null!;

    [SetUp]
    public void CreateFiles()
    {
        _dir = Directory.CreateTempSubdirectory("gleitzeit-batchfiles-");
        foreach (var f in new[] { "b.txt", "a.txt", "B.txt", "c.md", "x1.png", "x22.png", "sub/d.txt", "sub/deeper/e.txt" })
        {
            var path = Path.Combine(_dir.FullName, f);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, f);
        }
    }

    [TearDown]
    public void Remove() => _dir.Delete(recursive: true);

    private List<string> Scan(string pattern) =>
        BatchFiles.Scan(_dir.FullName, pattern).Select(f => Path.GetRelativePath(_dir.FullName, f).Replace('\\', '/')).ToList();

    [Test]
    public void Star_matches_the_top_folder_only_sorted_ordinally() =>
        Assert.That(Scan("*.txt"), Is.EqualTo(new[] { "B.txt", "a.txt", "b.txt" }));

    [Test]
    public void Double_star_matches_every_folder() =>
        Assert.That(Scan("**/*.txt"), Is.EqualTo(new[] { "B.txt", "a.txt", "b.txt", "sub/d.txt", "sub/deeper/e.txt" }));

    [Test]
    public void Question_mark_matches_one_character() =>
        Assert.That(Scan("x?.png"), Is.EqualTo(new[] { "x1.png" }));

    [TestCase("*.md;x*.png")]
    [TestCase("*.md, x*.png")]
    public void Several_patterns(string pattern) =>
        Assert.That(Scan(pattern), Is.EqualTo(new[] { "c.md", "x1.png", "x22.png" }));

    [Test]
    public void Results_are_full_paths()
    {
        var files = BatchFiles.Scan(_dir.FullName, "a.txt");

        Assert.That(files, Is.EqualTo(new[] { Path.Combine(_dir.FullName, "a.txt") }));
    }

    [Test]
    public void A_missing_directory_is_named()
    {
        var missing = Path.Combine(_dir.FullName, "nope");

        var ex = Assert.Throws<DirectoryNotFoundException>(() => BatchFiles.Scan(missing, "*"))!;

        Assert.That(ex.Message, Does.Contain(missing));
    }
}
