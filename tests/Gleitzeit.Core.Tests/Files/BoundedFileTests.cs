using Gleitzeit.Core.Files;

namespace Gleitzeit.Core.Tests.Files;

/// <summary>The limit of <see cref="BoundedFile"/> at its edges, and files that grow past their reported size.</summary>
public sealed class BoundedFileTests
{
    private DirectoryInfo _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("gleitzeit-boundedfile-");

    [TearDown]
    public void RemoveFolder() => _dir.Delete(recursive: true);

    private string Write(string name, int bytes)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, Enumerable.Range(0, bytes).Select(i => (byte)('a' + i % 26)).ToArray());
        return path;
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(100)]
    [TestCase(200_000)]
    public async Task A_file_up_to_the_limit_is_read_whole(int size)
    {
        var path = Write("f.txt", size);

        var bytes = await BoundedFile.ReadAsync(path, Math.Max(size, 1), CancellationToken.None);

        Assert.That(bytes, Is.EqualTo(File.ReadAllBytes(path)));
    }

    [Test]
    public async Task One_byte_over_the_limit_is_refused_with_both_numbers()
    {
        var path = Write("f.txt", 101);

        var ex = (await Assert.ThrowsAsync<FileRefusedException>(() => BoundedFile.ReadAsync(path, 100, CancellationToken.None)))!;

        Assert.That(ex.OverLimit, Is.True);
        Assert.That(ex.Message, Is.EqualTo("is 101 bytes; the limit is 100 bytes"));
    }

    [Test]
    [Platform("Linux")]
    public async Task A_file_reporting_length_zero_is_still_held_to_the_limit()
    {
        Assert.That(new FileInfo("/proc/self/status").Length, Is.Zero, "the premise: /proc reports length 0");

        var ex = (await Assert.ThrowsAsync<FileRefusedException>(() => BoundedFile.ReadAsync("/proc/self/status", 10, CancellationToken.None)))!;

        Assert.That(ex.OverLimit, Is.True);
        Assert.That(ex.Message, Does.Contain("larger than the limit of 10 bytes"));
    }

    [Test]
    [Platform("Linux")]
    public void The_type_is_read_without_opening()
    {
        Assert.That(UnixFiles.Probe("/dev/zero").Kind, Is.EqualTo(FileKind.CharacterDevice));
        Assert.That(UnixFiles.Probe(_dir.FullName).Kind, Is.EqualTo(FileKind.Directory));
        Assert.That(UnixFiles.Probe(Path.Combine(_dir.FullName, "nope")).Kind, Is.EqualTo(FileKind.Missing));
        Assert.That(UnixFiles.Probe(Write("f.txt", 7)), Is.EqualTo(new FileProbe(FileKind.Regular, 7)));
        Assert.That(UnixFiles.Probe("a\0b").Kind, Is.EqualTo(FileKind.Unknown));
    }
}
