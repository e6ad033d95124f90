using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Cli.Tests;

/// <summary><c>gleitzeit batch</c> as a real process against the Ollama test server.</summary>
public sealed class BatchTests
{
    private CliProcess _cli = null!;
    private OllamaTestServer _ollama = null!;

    [SetUp]
    public async Task SetUp()
    {
        _cli = new CliProcess();
        _ollama = await OllamaTestServer.StartAsync();
        _cli.Environment["GLEITZEIT_OLLAMA_URL"] = _ollama.BaseUri.ToString();
        _cli.WriteFile("docs/a.txt", "alpha text");
        _cli.WriteFile("docs/b.txt", "beta text");
        _cli.WriteFile("docs/skip.md", "not matched");
    }

    [TearDown]
    public async Task TearDown()
    {
        await _ollama.DisposeAsync();
        _cli.Dispose();
    }

    [Test]
    public async Task Batch_json_reports_every_file_and_writes_a_markdown_report()
    {
        _ollama.Reply(r => r.Prompt is { } p && p.Contains("alpha", StringComparison.Ordinal) ? "about alpha" : "about beta");

        var result = await _cli.RunAsync("batch", "docs", "--pattern", "*.txt", "--prompt", "Summarize", "--output", "report.md", "--format", "markdown", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var json = result.Json();
        Assert.That((int)json["total_files"]!, Is.EqualTo(2));
        Assert.That((int)json["successful"]!, Is.EqualTo(2));
        var files = json["files"]!.AsArray();
        Assert.That(files.Select(f => Path.GetFileName((string)f!["path"]!)), Is.EqualTo(new[] { "a.txt", "b.txt" }));
        Assert.That(files.Select(f => (string?)f!["response"]), Is.EqualTo(new[] { "about alpha", "about beta" }));
        Assert.That(files.Select(f => (string?)f!["status"]), Has.All.EqualTo("success"));
        var report = File.ReadAllText(Path.Combine(_cli.WorkDirectory, "report.md"));
        Assert.That(report, Does.Contain("a.txt").And.Contain("about beta"));
        Assert.That(_ollama.Requests.Count(r => r.Path == "/api/chat"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_failed_file_exits_5_naming_it_and_resume_processes_only_that_file()
    {
        _ollama.Fail(OllamaFault.ServerError(), r => r.Prompt?.Contains("beta", StringComparison.Ordinal) == true, times: 1);

        var first = await _cli.RunAsync("batch", "docs", "--json");

        Assert.That(first.ExitCode, Is.EqualTo(5), first.ToString());
        Assert.That(first.StdErr, Does.Contain("b.txt"));
        var batchId = (string)first.Json()["batch_id"]!;
        Assert.That(first.StdErr, Does.Contain($"--resume {batchId}"));
        var before = _ollama.Requests.Count;

        var second = await _cli.RunAsync("batch", "docs", "--resume", batchId, "--json");

        Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString());
        Assert.That((int)second.Json()["successful"]!, Is.EqualTo(2));
        Assert.That(_ollama.Requests.Skip(before).Where(r => r.Path == "/api/chat").Select(r => r.Prompt), Has.All.Contains("beta"));
    }

    [Test]
    public async Task Plain_output_shows_progress_and_a_summary_without_escape_codes()
    {
        var result = await _cli.RunAsync("batch", "docs");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdOut, Does.Contain("2/2 done, 0 failed").And.Contain("2/2 succeeded"));
        Assert.That(result.StdOut, Does.Not.Contain("\u001b["));
    }

    [Test]
    public async Task A_concurrency_below_one_is_refused_with_exit_2()
    {
        var result = await _cli.RunAsync("batch", "docs", "--concurrency", "0");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("--concurrency must be at least 1"));
        Assert.That(_ollama.Requests, Is.Empty);
    }

    [Test]
    public async Task Without_ollama_batch_exits_4_at_once_like_run_without_a_report()
    {
        _cli.Environment["GLEITZEIT_OLLAMA_URL"] = "http://127.0.0.1:9/";

        var result = await _cli.RunAsync("batch", "docs");

        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString());
        Assert.That(result.StdErr, Does.Contain("ollama serve").And.Contain("GLEITZEIT_OLLAMA_URL"));
        Assert.That(result.StdErr, Does.Not.Contain("--resume").And.Not.Contain("   at "));
        Assert.That(result.StdErr.Split('\n'), Has.All.Length.LessThan(400), "no line repeating one message per file");
        var reports = Path.Combine(_cli.Home, ".gleitzeit", "batch_results");
        Assert.That(Directory.Exists(reports) ? Directory.GetFiles(reports) : [], Is.Empty, "no batch report for a batch that never ran");
    }

    [Test]
    public async Task The_failure_summary_names_three_files_then_and_n_more_and_each_error_once()
    {
        _cli.WriteFile("docs/c.txt", "gamma text");
        _cli.WriteFile("docs/d.txt", "delta text");
        _ollama.Fail(OllamaFault.ServerError("model runner crashed"));

        var result = await _cli.RunAsync("batch", "docs");

        Assert.That(result.ExitCode, Is.EqualTo(5), result.ToString());
        Assert.That(result.StdErr, Does.Contain("4 of 4 files failed").And.Contain("a.txt, b.txt, c.txt and 1 more"));
        Assert.That(result.StdErr.Split("model runner crashed").Length - 1, Is.EqualTo(1), "the shared error is printed once: " + result.StdErr);
        Assert.That(result.StdErr, Does.Contain("--resume"));
    }

    [Test]
    [Platform("Linux")]
    public async Task Sigterm_during_a_batch_over_link_loops_stops_it_without_a_crash()
    {
        // The scan must end (two loops and **), so the first file reaches the server, which never answers; then SIGTERM, twice.
        _cli.WriteFile("docs/sub/c.txt", "gamma text");
        Directory.CreateSymbolicLink(Path.Combine(_cli.WorkDirectory, "docs", "sub", "up"), "..");
        Directory.CreateSymbolicLink(Path.Combine(_cli.WorkDirectory, "docs", "sub", "again"), "../sub");
        _ollama.Fail(OllamaFault.Hang());
        using var process = _cli.Start("batch", "docs", "--pattern", "**/*.txt");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Guards, not timing assertions: before the fix the scan never ended and the process never exited.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            while (!_ollama.Requests.Any(r => r.Path == "/api/chat")) await Task.Delay(TimeSpan.FromMilliseconds(50), guard.Token);

            Signal(process.Id);
            Signal(process.Id);
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the batch did not reach the server or did not stop on SIGTERM; stderr: {await stderr}");
        }

        var err = await stderr;
        Assert.That(err, Does.Not.Contain("Unhandled exception").And.Not.Contain("InvalidOperationException"), err);
        Assert.That(process.ExitCode, Is.EqualTo(1).Or.EqualTo(143), $"exit {process.ExitCode}\n{await stdout}\n{err}");
        Assert.That(_ollama.Requests.Count(r => r.Path == "/api/chat"), Is.LessThanOrEqualTo(3), "each file at most once");
    }

    private static void Signal(int pid)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
