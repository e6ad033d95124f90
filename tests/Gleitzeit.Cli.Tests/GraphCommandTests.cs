namespace Gleitzeit.Cli.Tests;

/// <summary><c>gleitzeit workflow graph FILE|ID [--format mermaid|dot]</c>.</summary>
public sealed class GraphCommandTests
{
    private const string Workflow = """
        name: graphed
        tasks:
          - id: fetch
            name: 'Fetch "data" <raw>'
            method: python/execute
            parameters: { code: "result = 1" }
          - id: boom
            method: python/execute
            dependencies: [fetch]
            retry: { max_attempts: 1 }
            parameters: { code: "raise ValueError('kaput')" }
          - id: after
            method: python/execute
            dependencies: [boom]
            parameters: { code: "result = 2" }
          - id: side
            method: mcp/tool.echo
            dependencies: [fetch]
            parameters: { text: "${fetch.result}" }
        """;

    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public async Task A_file_is_drawn_as_mermaid_with_its_edges_and_escaped_labels()
    {
        _cli.WriteFile("graphed.yaml", Workflow);

        var result = await _cli.RunAsync("workflow", "graph", "graphed.yaml");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var lines = result.StdOut.Split('\n');
        Assert.That(lines[0], Is.EqualTo("flowchart LR"));
        Assert.That(result.StdOut, Does.Contain("t0[\"Fetch #quot;data#quot; #lt;raw#gt;<br/>(fetch)<br/>python/execute\"]"));
        Assert.That(result.StdOut, Does.Contain("t3[\"side<br/>mcp/tool.echo\"]"), "a method no provider serves here is still drawn");
        Assert.That(lines, Does.Contain("    t0 --> t1").And.Contain("    t1 --> t2").And.Contain("    t0 --> t3"));
        Assert.That(result.StdOut, Does.Not.Contain("classDef"), "a file has no states");
    }

    [Test]
    public async Task A_run_is_drawn_as_dot_with_each_task_coloured_by_its_state()
    {
        _cli.WriteFile("graphed.yaml", Workflow.Replace("""
          - id: side
            method: mcp/tool.echo
            dependencies: [fetch]
            parameters: { text: "${fetch.result}" }
        """, "", StringComparison.Ordinal));
        var run = await _cli.RunAsync("run", "graphed.yaml", "--json");
        var id = (string)run.Json()["workflow_id"]!;

        var result = await _cli.RunAsync("workflow", "graph", id, "--format", "dot");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdOut, Does.StartWith("digraph \"graphed\" {"));
        Assert.That(result.StdOut, Does.Contain("\"fetch\" [label=\"Fetch \\\"data\\\" <raw>\\n(fetch)\\npython/execute\\ncompleted\", fillcolor=\"#ecfdf3\""));
        Assert.That(result.StdOut, Does.Contain("\"boom\" [label=\"boom\\npython/execute\\nfailed\", fillcolor=\"#fef3f2\""));
        Assert.That(result.StdOut, Does.Contain("\"after\" [label=\"after\\npython/execute\\nskipped\"").And.Contain("dashed"));
        Assert.That(result.StdOut, Does.Contain("\"fetch\" -> \"boom\";").And.Contain("\"boom\" -> \"after\";"));
    }

    [Test]
    public async Task Something_that_is_neither_a_file_nor_a_run_exits_3()
    {
        var result = await _cli.RunAsync("workflow", "graph", "wf-nothing");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.StdErr, Does.Contain("'wf-nothing' is neither a workflow file nor the id of a stored run"));
    }

    [Test]
    public async Task An_unknown_format_is_refused_with_exit_2()
    {
        _cli.WriteFile("graphed.yaml", Workflow);

        var result = await _cli.RunAsync("workflow", "graph", "graphed.yaml", "--format", "svg");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("svg"));
    }
}
