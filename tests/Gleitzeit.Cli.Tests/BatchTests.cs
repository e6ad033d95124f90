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
}
