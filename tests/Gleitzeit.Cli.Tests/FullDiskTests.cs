using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gleitzeit.Cli.Tests;

/// <summary>
/// Issue 15.4: the SQLite store on a disk that fills up during a run. Needs root to mount a small tmpfs (CI runs as root);
/// elsewhere the test is ignored and says why.
/// </summary>
public sealed partial class FullDiskTests
{
    private CliProcess _cli = null!;
    private string? _mount;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown()
    {
        if (_mount is not null)
        {
            using var umount = Process.Start("umount", ["-l", _mount])!;
            umount.WaitForExit();
        }
        _cli.Dispose();
    }

    private async Task<string> MountSmallDiskAsync()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("needs Linux to mount a tmpfs as a small disk");
        if (!Environment.IsPrivilegedProcess) Assert.Ignore("needs root to mount a small tmpfs (mount -t tmpfs); CI runs the tests as root");
        var dir = Directory.CreateDirectory(Path.Combine(_cli.Home, "small-disk")).FullName;
        using var mount = Process.Start(new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", dir]) { RedirectStandardError = true })!;
        var error = await mount.StandardError.ReadToEndAsync();
        await mount.WaitForExitAsync();
        if (mount.ExitCode != 0) Assert.Ignore($"mounting a tmpfs failed (exit {mount.ExitCode}: {error.Trim()}); the full-disk test needs it");
        _mount = dir;
        return dir;
    }

    [GeneratedRegex(@"Run (wf-[0-9a-f]+) failed")]
    private static partial Regex FailedRunId();

    [Test]
    public async Task A_disk_that_fills_up_during_a_run_ends_it_failed_and_it_resumes_once_space_is_freed()
    {
        var disk = await MountSmallDiskAsync();
        _cli.Environment["GLEITZEIT_SQLITE_PATH"] = Path.Combine(disk, "runs.db");
        Assert.That((await _cli.RunAsync("workflow", "list")).ExitCode, Is.EqualTo(0), "the database is created while there is room");
        var filler = Path.Combine(disk, "filler");
        var marker = Path.Combine(_cli.Home, "filled-once");
        // 'fill' fills the disk the first time it runs; 'after' depends on it; 'side' and 'side2' are independent.
        var file = _cli.WriteFile("fills.yaml", $$"""
            name: fills
            tasks:
              - id: fill
                method: python/execute
                parameters:
                  code: |
                    import os
                    if not os.path.exists('{{marker}}'):
                        open('{{marker}}', 'w').close()
                        with open('{{filler}}', 'wb', buffering=0) as f:
                            for size in (65536, 4096, 1):
                                try:
                                    while True:
                                        f.write(b'x' * size)
                                except OSError:
                                    pass
                    result = 'filled'
              - id: after
                method: python/execute
                depends_on: [fill]
                parameters:
                  code: "result = 'after'"
              - id: side
                method: python/execute
                parameters:
                  code: "result = 'side'"
              - id: side2
                method: python/execute
                depends_on: [side]
                parameters:
                  code: "result = 'side2'"
            """);

        var failed = await _cli.RunAsync("run", file);

        Assert.That(failed.ExitCode, Is.Not.EqualTo(0), failed.ToString());
        Assert.That(failed.StdErr, Does.Contain("PERSISTENCE_WRITE_FAILED").And.Contain("full"), failed.ToString());
        Assert.That(failed.StdErr, Does.Contain("gleitzeit workflow resume"), "says how to continue: " + failed);
        var id = FailedRunId().Match(failed.StdErr);
        Assert.That(id.Success, Is.True, failed.ToString());

        File.Delete(filler);
        var resumed = await _cli.RunAsync("workflow", "resume", id.Groups[1].Value, "--json");

        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        var json = resumed.Json();
        Assert.That((string?)json["status"], Is.EqualTo("completed"));
        Assert.That(json["tasks"]!.AsObject().Select(t => (string)t.Value!["status"]!), Is.All.EqualTo("completed"));
        Assert.That((string?)json["tasks"]!["after"]!["result"]!["result"] ?? json["tasks"]!["after"]!["result"]!.ToJsonString(), Does.Contain("after"));
    }
}
