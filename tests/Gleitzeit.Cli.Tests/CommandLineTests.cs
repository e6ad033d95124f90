namespace Gleitzeit.Cli.Tests;

/// <summary>Parsing, help, version, suggestions and the exit codes of user mistakes.</summary>
public sealed class CommandLineTests
{
    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public async Task Version_prints_the_version_and_exits_0()
    {
        var result = await _cli.RunAsync("--version");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdOut.Trim(), Does.Match(@"^\d+\.\d+\.\d+"));
    }

    [Test]
    public async Task Help_lists_every_command()
    {
        var result = await _cli.RunAsync("--help");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        foreach (var command in new[] { "run", "workflow", "task", "provider", "backend", "system", "batch", "init", "validate", "config", "exec", "worker", "dashboard" })
        {
            Assert.That(result.StdOut, Does.Contain("  " + command), command);
        }
    }

    [Test]
    public async Task Unknown_command_exits_2_with_a_suggestion_on_stderr()
    {
        var result = await _cli.RunAsync("wrokflow", "list");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("Did you mean").And.Contain("workflow"));
        Assert.That(result.StdOut, Is.Empty);
    }

    [Test]
    public async Task Unknown_option_exits_2_with_a_suggestion()
    {
        var result = await _cli.RunAsync("workflow", "list", "--jsno");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("--jsno").And.Contain("--json"));
        Assert.That(result.StdErr, Does.Contain("gleitzeit workflow list --help"));
    }

    [Test]
    public async Task Missing_argument_exits_2()
    {
        var result = await _cli.RunAsync("task", "submit");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("METHOD"));
    }

    [Test]
    public async Task Run_of_a_missing_file_exits_3_naming_the_full_path()
    {
        var result = await _cli.RunAsync("run", "no-such-workflow.yaml");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.StdErr, Does.Contain(Path.Combine(_cli.WorkDirectory, "no-such-workflow.yaml")));
        Assert.That(result.StdErr, Does.Not.Contain("   at "), "no stack trace for a user's mistake");
    }

    [Test]
    public async Task Validate_of_a_missing_file_exits_3()
    {
        var result = await _cli.RunAsync("validate", "missing.yaml");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.StdErr, Does.Contain("missing.yaml"));
    }

    [Test]
    public async Task Batch_of_a_missing_directory_exits_3()
    {
        var result = await _cli.RunAsync("batch", "no-such-dir", "--prompt", "Summarize");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.StdErr, Does.Contain(Path.Combine(_cli.WorkDirectory, "no-such-dir")));
    }

    [Test]
    public async Task Debug_shows_the_stack_trace()
    {
        var result = await _cli.RunAsync("run", "no-such-workflow.yaml", "--debug");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.StdErr, Does.Contain("   at "));
    }

    [Test]
    public async Task Purge_with_a_bad_age_exits_2_saying_the_format()
    {
        var result = await _cli.RunAsync("backend", "purge", "--older-than", "a week");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("7d"));
    }

    [Test]
    public async Task Purge_without_older_than_exits_2()
    {
        var result = await _cli.RunAsync("backend", "purge");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("--older-than"));
    }

    [Test]
    public async Task Purge_json_reports_the_count_and_cutoff()
    {
        var result = await _cli.RunAsync("backend", "purge", "--older-than", "7d", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var json = result.Json();
        Assert.That((int)json["purged"]!, Is.EqualTo(0));
        var cutoff = DateTimeOffset.Parse((string)json["older_than"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(DateTimeOffset.UtcNow - cutoff, Is.GreaterThan(TimeSpan.FromDays(6.9)).And.LessThan(TimeSpan.FromDays(7.1)));
    }

    [Test]
    public async Task Status_of_an_unknown_run_exits_1_with_a_hint()
    {
        var result = await _cli.RunAsync("workflow", "status", "wf-nope");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StdErr, Does.Contain("wf-nope").And.Contain("workflow list"));
    }

    [Test]
    public async Task Provider_health_of_an_unknown_id_exits_2()
    {
        var result = await _cli.RunAsync("provider", "health", "nope");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("nope"));
    }

    [Test]
    public async Task Worker_without_the_redis_backend_exits_2_saying_how_to_choose_it()
    {
        var result = await _cli.RunAsync("worker");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("redis"));
    }

    [Test]
    public async Task Redirected_output_has_no_escape_codes()
    {
        var results = new[]
        {
            await _cli.RunAsync("config"),
            await _cli.RunAsync("workflow", "list"),
            await _cli.RunAsync("system", "status"),
            await _cli.RunAsync("run", "missing.yaml"),
            await _cli.RunAsync("init", "demo"),
            await _cli.RunAsync("wrokflow"),
        };

        foreach (var r in results)
        {
            // Ordinal: a culture-aware "contains" ignores control characters such as ESC.
            Assert.That((r.StdOut + r.StdErr).Contains('\u001b', StringComparison.Ordinal), Is.False, r.ToString());
        }
    }
}
