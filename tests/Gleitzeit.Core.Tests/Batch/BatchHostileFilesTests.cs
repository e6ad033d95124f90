using Gleitzeit.Core.Batch;
using Gleitzeit.Testing;

namespace Gleitzeit.Core.Tests.Batch;

/// <summary>
/// Batches over folders that hold what a hostile or careless user leaves there: named pipes, sockets, dangling links, link
/// loops and links out of the folder. Each is a per-file error or left out; none hangs, grows without bound or aborts the batch.
/// </summary>
[Platform("Linux")]
public sealed class BatchHostileFilesTests : BatchTestContext
{
    // A guard, not a timing assertion: before the fix these batches never ended, and a test must fail rather than hang.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private static Task<T> Guarded<T>(Task<T> work) => work.WaitAsync(Guard);

    [Test]
    public async Task A_fifo_in_the_folder_fails_that_file_at_once_and_the_others_run()
    {
        Write("docs/a.txt", "alpha");
        SpecialFiles.MakeFifo(Path.Combine(Dir, "docs", "b.txt"));
        Write("docs/c.txt", "gamma");

        var result = await Guarded(Processor().ProcessBatchAsync(new BatchRequest { Directory = Path.Combine(Dir, "docs"), Pattern = "*.txt", Prompt = "p" }));

        Assert.That(result.Files.Select(f => (Path.GetFileName(f.Path), f.Status)),
            Is.EqualTo(new[] { ("a.txt", BatchFileStatus.Success), ("b.txt", BatchFileStatus.Failed), ("c.txt", BatchFileStatus.Success) }));
        Assert.That(result.Files[1].Error, Does.Contain("b.txt").And.Contain("named pipe (FIFO)").And.Contain("not a regular file"));
        Assert.That(Server.RequestsTo("/api/chat"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_fifo_among_images_fails_that_file_and_is_never_opened()
    {
        WriteBytes("pics/a.png", Png);
        SpecialFiles.MakeFifo(Path.Combine(Dir, "pics", "b.png"));

        var result = await Guarded(Processor().ProcessBatchAsync(new BatchRequest { Directory = Path.Combine(Dir, "pics"), Vision = true, Prompt = "p", Model = "llava:latest" }));

        Assert.That(result.Files.Select(f => f.Status), Is.EqualTo(new[] { BatchFileStatus.Success, BatchFileStatus.Failed }));
        Assert.That(result.Files[1].Error, Does.Contain("named pipe"));
    }

    [Test]
    public async Task A_socket_file_is_a_per_file_error_not_an_aborted_batch()
    {
        Write("docs/a.txt", "alpha");
        using var socket = SpecialFiles.MakeSocket(Path.Combine(Dir, "docs", "s.txt"));

        var result = await Guarded(Processor().ProcessBatchAsync(new BatchRequest { Directory = Path.Combine(Dir, "docs"), Pattern = "*.txt", Prompt = "p" }));

        Assert.That(result.Files.Select(f => f.Status), Is.EqualTo(new[] { BatchFileStatus.Success, BatchFileStatus.Failed }));
        Assert.That(result.Files[1].Error, Does.Contain("s.txt").And.Contain("is a socket"));
        Assert.That(File.Exists(Path.Combine(ResultsDir, result.BatchId + ".json")), Is.True, "the report is written");
    }

    [Test]
    public async Task Dangling_links_directories_and_devices_are_per_file_errors_that_say_what_they_are()
    {
        var good = Write("docs/a.txt", "alpha");
        var dangling = Path.Combine(Dir, "docs", "gone.txt");
        File.CreateSymbolicLink(dangling, Path.Combine(Dir, "docs", "nowhere.txt"));
        var folder = Directory.CreateDirectory(Path.Combine(Dir, "docs", "folder.txt")).FullName;
        var zero = Path.Combine(Dir, "docs", "zero.txt");
        File.CreateSymbolicLink(zero, "/dev/zero");

        var result = await Guarded(Processor(o => o.MaxFileSize = 1000).ProcessBatchAsync(new BatchRequest { Files = [good, dangling, folder, zero], Prompt = "p" }));

        Assert.That(result.Files.Select(f => f.Status), Is.EqualTo(new[] { BatchFileStatus.Success, BatchFileStatus.Failed, BatchFileStatus.Failed, BatchFileStatus.Failed }));
        Assert.That(result.Files[1].Error, Does.Contain("symbolic link whose target does not exist").And.Contain("nowhere.txt"));
        Assert.That(result.Files[2].Error, Does.Contain("is a directory"));
        Assert.That(result.Files[3].Error, Does.Contain("character device"));
    }

    [Test]
    public async Task The_size_limit_is_counted_while_reading_not_taken_from_the_reported_length()
    {
        // /proc files report length 0 and hold more: the old check let any of them through.
        var result = await Guarded(Processor(o => o.MaxFileSize = 100).ProcessBatchAsync(new BatchRequest { Files = ["/proc/self/maps"], Prompt = "p" }));

        Assert.That(result.Files[0].Status, Is.EqualTo(BatchFileStatus.Failed));
        Assert.That(result.Files[0].Error, Does.Contain("larger than the limit of 100 bytes").And.Contain("BatchOptions.MaxFileSize"));
        Assert.That(Server.RequestsTo("/api/chat"), Is.Empty);
    }

    [Test]
    public async Task Two_link_loops_and_double_star_end_with_every_file_once()
    {
        Write("d/a.txt", "alpha");
        Write("d/sub/b.txt", "beta");
        Directory.CreateSymbolicLink(Path.Combine(Dir, "d", "sub", "up"), "..");
        Directory.CreateSymbolicLink(Path.Combine(Dir, "d", "sub", "again"), "../sub");

        var files = await Guarded(Task.Run(() => BatchFiles.Scan(Path.Combine(Dir, "d"), "**/*.txt")));
        var result = await Guarded(Processor().ProcessBatchAsync(new BatchRequest { Directory = Path.Combine(Dir, "d"), Pattern = "**/*.txt", Prompt = "p" }));

        Assert.That(files.Select(f => Path.GetRelativePath(Path.Combine(Dir, "d"), f)), Is.EqualTo(new[] { "a.txt", "sub/b.txt" }));
        Assert.That(result.TotalFiles, Is.EqualTo(2));
        Assert.That(Server.RequestsTo("/api/chat"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_link_loop_to_the_root_is_detected_too()
    {
        Write("d/a.txt", "alpha");
        Directory.CreateSymbolicLink(Path.Combine(Dir, "d", "self"), Path.Combine(Dir, "d"));
        Directory.CreateSymbolicLink(Path.Combine(Dir, "d", "loop1"), "loop2");
        Directory.CreateSymbolicLink(Path.Combine(Dir, "d", "loop2"), "loop1");

        var files = await Guarded(Task.Run(() => BatchFiles.Scan(Path.Combine(Dir, "d"), "**")));

        // loop1 and loop2 point at each other: links that resolve to nothing, listed for a per-file error.
        Assert.That(files.Select(Path.GetFileName), Is.EqualTo(new[] { "a.txt", "loop1", "loop2" }));
    }

    [Test]
    public async Task Links_out_of_the_folder_are_not_followed_unless_asked()
    {
        Write("outside/secret.txt", "secret");
        Write("outside/more/other.txt", "other");
        Write("d/a.txt", "alpha");
        File.CreateSymbolicLink(Path.Combine(Dir, "d", "secret.txt"), Path.Combine(Dir, "outside", "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Dir, "d", "ext"), Path.Combine(Dir, "outside", "more"));
        var request = new BatchRequest { Directory = Path.Combine(Dir, "d"), Pattern = "**/*.txt", Prompt = "p" };

        var scanned = BatchFiles.Scan(Path.Combine(Dir, "d"), "**/*.txt");
        var result = await Guarded(Processor().ProcessBatchAsync(request));
        var followed = await Guarded(Processor().ProcessBatchAsync(request with { FollowExternalLinks = true }));

        Assert.That(scanned.Select(Path.GetFileName), Is.EqualTo(new[] { "a.txt" }));
        Assert.That(result.Files.Select(f => (Path.GetFileName(f.Path), f.Status)),
            Is.EqualTo(new[] { ("a.txt", BatchFileStatus.Success), ("secret.txt", BatchFileStatus.Failed) }));
        Assert.That(result.Files[1].Error, Does.Contain("outside the batch folder").And.Contain("FollowExternalLinks"));
        Assert.That(followed.Files.Select(f => Path.GetRelativePath(Path.Combine(Dir, "d"), f.Path)), Is.EqualTo(new[] { "a.txt", "ext/other.txt", "secret.txt" }));
        Assert.That(followed.Successful, Is.EqualTo(3));
    }

    [Test]
    public async Task A_file_reached_through_a_link_inside_the_folder_is_processed_once()
    {
        Write("d/real/a.txt", "alpha");
        Directory.CreateSymbolicLink(Path.Combine(Dir, "d", "alias"), "real");

        var result = await Guarded(Processor().ProcessBatchAsync(new BatchRequest { Directory = Path.Combine(Dir, "d"), Pattern = "**/*.txt", Prompt = "p" }));

        Assert.That(result.Files.Select(f => Path.GetRelativePath(Path.Combine(Dir, "d"), f.Path)), Is.EqualTo(new[] { "real/a.txt" }));
    }

    [Test]
    public void A_cancelled_scan_stops()
    {
        Write("d/a.txt", "alpha");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => BatchFiles.Scan(Path.Combine(Dir, "d"), "**", cancelled.Token));
    }
}
