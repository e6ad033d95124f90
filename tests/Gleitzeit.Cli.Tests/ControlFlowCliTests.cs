using System.Text.Json.Nodes;

namespace Gleitzeit.Cli.Tests;

/// <summary>The CLI shows what <c>when</c> and <c>loop</c> did: skipped by condition, the loop's iterations and history.</summary>
public sealed class ControlFlowCliTests
{
    private const string Workflow = """
        name: control
        tasks:
          - id: measure
            method: python/execute
            parameters: { code: "result = 2" }
          - id: big
            method: python/execute
            dependencies: [measure]
            when: "${measure.result} > 5"
            parameters: { code: "result = 'big'" }
          - id: grow
            method: python/execute
            loop: { until: "${self.result} >= 3", max_iterations: 4 }
            parameters:
              code: "result = n"
              context: { n: "${iteration}" }
        """;

    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public async Task Status_shows_skipped_by_condition_and_the_loop_history()
    {
        _cli.WriteFile("control.yaml", Workflow);

        var run = await _cli.RunAsync("run", "control.yaml");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StdOut, Does.Contain("task big skipped (condition false): condition '${measure.result} > 5' is false"));
        Assert.That(run.StdOut, Does.Contain("task grow started (attempt 1, iteration 3/4)"));
        Assert.That(run.StdOut, Does.Contain("task grow iteration 1 done; iteration 2 of at most 4 queued"));

        var id = System.Text.RegularExpressions.Regex.Match(run.StdOut, @"run id (wf-[0-9a-f]+)").Groups[1].Value;
        var json = (await _cli.RunAsync("workflow", "status", id, "--json")).Json();
        Assert.That((int)json["tasks"]!["grow"]!["iteration"]!, Is.EqualTo(3));
        Assert.That(json["tasks"]!["grow"]!["history"]!.AsArray().Select(h => (int)h!["result"]!["result"]!), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That((int)json["tasks"]!["big"]!["error"]!["code"]!, Is.EqualTo(-29009));
        Assert.That(json["tasks"]!["measure"]!.AsObject().ContainsKey("history"), Is.False);

        var table = await _cli.RunAsync("workflow", "status", id);
        Assert.That(table.StdOut, Does.Contain("skipped (condition false)").And.Contain("completed after 3 iterations"));
    }
}
