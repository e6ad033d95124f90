using System.Text.Json.Nodes;
using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Conformance.Tests;

/// <summary>
/// Every workflow of examples/ run through the built CLI exactly as the README says
/// (<c>gleitzeit run examples/FILE --config examples/gleitzeit.yaml</c> from the repository root, empty HOME), the LLM
/// ones with GLEITZEIT_OLLAMA_URL pointing at the Ollama-API test server.
/// </summary>
public class ExampleWorkflowTests
{
    private static string Examples => Path.Combine(Locations.RepositoryRoot, "examples");

    /// <summary>Examples that wait for a person: they do not run to completion on their own (see the test below).</summary>
    private static readonly string[] WaitForAPerson = ["approval_workflow.yaml"];

    /// <summary>The examples that run to completion by themselves.</summary>
    public static IEnumerable<string> Unattended() => Workflows().Except(WaitForAPerson);

    public static IEnumerable<string> Workflows() =>
        Directory.GetFiles(Path.Combine(Locations.RepositoryRoot, "examples"), "*_workflow.yaml").Concat(Directory.GetFiles(Path.Combine(Locations.RepositoryRoot, "examples"), "batch_*.yaml"))
            .Select(Path.GetFileName).Distinct().Order(StringComparer.Ordinal)!;

    /// <summary>The ones the README says run with no Ollama.</summary>
    private static readonly string[] Offline = ["python_mcp_workflow.yaml", "batch_python_workflow.yaml", "simple_python_workflow.yaml", "condition_workflow.yaml", "loop_workflow.yaml", "cached_python_workflow.yaml", "foreach_workflow.yaml", "subworkflow_workflow.yaml", "subworkflow_loop_workflow.yaml"];

    [OneTimeSetUp]
    public void RequireMcpServer()
    {
        var server = Path.Combine(Locations.RepositoryRoot, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
        if (!File.Exists(server)) Assert.Fail($"{server} is missing: run `npm ci` in the repository root (test.sh does).");
    }

    [Test]
    public void The_examples_are_there() =>
        Assert.That(Workflows(), Is.SupersetOf(new[] { "llm_workflow.yaml", "mixed_workflow.yaml", "dependent_workflow.yaml", "research_workflow.yaml", "python_mcp_workflow.yaml", "batch_python_workflow.yaml" }));

    [TestCaseSource(nameof(Workflows))]
    public void Each_example_says_what_it_needs_and_how_to_run_it(string file)
    {
        var head = string.Join("\n", File.ReadLines(Path.Combine(Examples, file)).TakeWhile(l => l.StartsWith('#')));

        Assert.That(head, Does.Contain("Needs:"), $"{file} starts with a comment saying what it needs");
        Assert.That(head, Does.Contain($"run examples/{file}"), $"{file} starts with the command that runs it");
    }

    [TestCaseSource(nameof(Offline))]
    public async Task Offline_example_runs_through_the_cli_with_no_ollama(string file)
    {
        // An address where nothing listens: the run must not need Ollama at all.
        var result = await RunAsync(file, new Dictionary<string, string?> { ["GLEITZEIT_OLLAMA_URL"] = "http://127.0.0.1:9" });

        AssertCompleted(result);
    }

    [TestCaseSource(nameof(Unattended))]
    public async Task Example_runs_through_the_cli_against_the_ollama_test_server(string file)
    {
        await using var ollama = await OllamaTestServer.StartAsync();

        var result = await RunAsync(file, new Dictionary<string, string?> { ["GLEITZEIT_OLLAMA_URL"] = ollama.BaseUri.ToString() });

        var json = AssertCompleted(result);
        if (!Offline.Contains(file)) Assert.That(ollama.RequestsTo("/api/chat"), Is.Not.Empty, $"{file} called the LLM");
        Assert.That(json["tasks"]!.AsObject().Count, Is.GreaterThan(0));
    }

    [Test]
    public async Task The_first_example_computes_what_it_says()
    {
        var json = AssertCompleted(await RunAsync("python_mcp_workflow.yaml", null));

        var report = json["tasks"]!["report"]!["result"]!["result"]!;
        Assert.That((int)report["sum"]!, Is.EqualTo(55));
        Assert.That((string?)report["echoed"], Is.EqualTo("Echo: MCP says: The sum of 1 and 2 is 3."));
    }

    [Test]
    public async Task The_foreach_example_runs_one_item_per_element_and_returns_its_outputs()
    {
        var json = AssertCompleted(await RunAsync("foreach_workflow.yaml", null));

        Assert.That(json["tasks"]!.AsObject().Select(t => t.Key), Is.SupersetOf(new[] { "research", "research[0]", "research[1]", "research[2]" }));
        Assert.That((int)json["outputs"]!["topics"]!, Is.EqualTo(3));
        Assert.That(json["outputs"]!["summary"]!["topics"]!.AsArray().Select(t => (string?)t), Is.EqualTo(new[] { "solar", "wind", "hydro" }));
        Assert.That((int)json["outputs"]!["summary"]!["letters"]!, Is.EqualTo(14));
    }

    [Test]
    public async Task The_sub_workflow_example_runs_its_child_and_returns_the_childs_outputs()
    {
        var json = AssertCompleted(await RunAsync("subworkflow_workflow.yaml", null));

        var score = json["tasks"]!["score"]!["result"]!;
        Assert.That((string?)score["status"], Is.EqualTo("completed"));
        Assert.That((string?)score["workflow_id"], Is.EqualTo((string?)json["workflow_id"] + ".score"));
        Assert.That((int)json["outputs"]!["score"]!, Is.EqualTo(6));
        Assert.That((string?)json["outputs"]!["verdict"], Is.EqualTo("score 6 (2 sentences)"));
    }

    [TestCase("approve", "sent: Release 1.0")]
    [TestCase("reject", "held back: not today")]
    public async Task The_approval_example_waits_for_a_person_and_continues_when_answered(string decision, string sent)
    {
        var database = Path.Combine(Directory.CreateTempSubdirectory("gleitzeit-approval-").FullName, "runs.db");
        var store = new Dictionary<string, string?> { ["GLEITZEIT_PERSISTENCE_BACKEND"] = "sqlite", ["GLEITZEIT_SQLITE_PATH"] = database };

        var waiting = await ProcessRunner.RunDllAsync(Locations.Cli, ["run", "examples/approval_workflow.yaml", "--detach", "--json"], Locations.RepositoryRoot, store);
        Assert.That(waiting.ExitCode, Is.Zero, waiting.ToString());
        var run = JsonNode.Parse(waiting.StdOut)!;
        Assert.That((string?)run["status"], Is.EqualTo("waiting"), waiting.ToString());
        var id = (string)run["workflow_id"]!;

        var answered = await ProcessRunner.RunDllAsync(Locations.Cli, ["workflow", decision, id, "approve", "--comment", "not today", "--json"], Locations.RepositoryRoot, store);

        var json = AssertCompleted(answered);
        Assert.That((bool)json["tasks"]!["approve"]!["result"]!["approved"]!, Is.EqualTo(decision == "approve"));
        Assert.That((string?)json["tasks"]!["send"]!["result"]!["result"], Is.EqualTo(sent));
    }

    private static Task<ProcessResult> RunAsync(string file, IDictionary<string, string?>? environment) =>
        ProcessRunner.RunDllAsync(Locations.Cli, ["run", $"examples/{file}", "--config", "examples/gleitzeit.yaml", "--json"], Locations.RepositoryRoot, environment);

    private static JsonNode AssertCompleted(ProcessResult result)
    {
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var json = JsonNode.Parse(result.StdOut)!;
        Assert.That((string?)json["status"], Is.EqualTo("completed"), result.ToString());
        return json;
    }
}
