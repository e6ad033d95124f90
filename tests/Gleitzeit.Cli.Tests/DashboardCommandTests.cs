using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gleitzeit.Cli.Tests;

/// <summary><c>gleitzeit dashboard</c> as a real process over the SQLite store.</summary>
public sealed partial class DashboardCommandTests
{
    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public async Task The_dashboard_serves_the_runs_of_the_configured_store_on_loopback()
    {
        Assert.That((await _cli.RunAsync("init", "demo", "--type", "python")).ExitCode, Is.EqualTo(0));
        var run = await _cli.RunAsync("run", "demo/workflow.yaml", "--json");
        var id = (string)run.Json()["workflow_id"]!;

        using var dashboard = _cli.Start("dashboard", "--port", "0");
        try
        {
            var url = await ReadUrlAsync(dashboard);
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var runs = JsonNode.Parse(await http.GetStringAsync("api/runs"))!;
            var page = await http.GetStringAsync("runs/" + id);
            using var unknown = await http.GetAsync("api/runs/nope");

            Assert.That(new Uri(url).Host, Is.EqualTo("127.0.0.1"), "local only by default");
            Assert.That(runs["runs"]!.AsArray().Select(r => (string)r!["workflow_id"]!), Is.EqualTo(new[] { id }));
            Assert.That(page, Does.Contain("<main id=\"app\""));
            Assert.That((int)unknown.StatusCode, Is.EqualTo(404));
        }
        finally
        {
            Terminate(dashboard);
        }
        await dashboard.WaitForExitAsync();
        Assert.That(await dashboard.StandardError.ReadToEndAsync(), Does.Not.Contain("warning"));
    }

    [Test]
    public async Task Serving_another_address_without_authorization_warns()
    {
        using var dashboard = _cli.Start("dashboard", "--host", "0.0.0.0", "--port", "0");
        try
        {
            await ReadUrlAsync(dashboard);
        }
        finally
        {
            Terminate(dashboard);
        }
        var stderr = await dashboard.StandardError.ReadToEndAsync();
        await dashboard.WaitForExitAsync();

        Assert.That(stderr, Does.Contain("warning: the dashboard listens on 0.0.0.0").And.Contain("no authorization"));
    }

    [Test]
    public async Task A_port_out_of_range_is_refused_with_exit_code_2()
    {
        var result = await _cli.RunAsync("dashboard", "--port", "70000");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("--port 70000 is not a TCP port"));
    }

    private static async Task<string> ReadUrlAsync(Process process)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var line = await process.StandardOutput.ReadLineAsync(limit.Token) ?? throw new AssertionException("the dashboard printed nothing: " + await process.StandardError.ReadToEndAsync());
        var match = Url().Match(line);
        Assert.That(match.Success, Is.True, line);
        return match.Value;
    }

    private static void Terminate(Process process)
    {
        if (process.HasExited) return;
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0) process.Kill(entireProcessTree: true);
    }

    [GeneratedRegex(@"http://[^\s]+/")]
    private static partial Regex Url();
}
