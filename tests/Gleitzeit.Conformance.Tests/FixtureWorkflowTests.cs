using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Testing;

namespace Gleitzeit.Conformance.Tests;

/// <summary>
/// Every workflow file of the repository's fixtures (tests/fixtures/workflows: each form of the original format) runs
/// to completion against a temp copy, with the Ollama-API test server, python3, our MCP test server and echo/v1.
/// The same for the original files is <see cref="OriginalWorkflowTests"/>, which needs them beside the clone.
/// </summary>
public sealed class FixtureWorkflowTests
{
    private WorkflowHarness? _harness;

    private WorkflowHarness Harness => _harness!;

    [OneTimeSetUp]
    public async Task StartAsync() => _harness = await WorkflowHarness.StartAsync(TestData.Fixtures, withOriginalScripts: false);

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_harness is not null) await _harness.DisposeAsync();
    }

    public static IEnumerable<string> AllFiles() =>
        Directory.GetFiles(TestData.Fixtures, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    [TestCaseSource(nameof(AllFiles))]
    public async Task Runs_to_completion(string file)
    {
        var run = await Harness.RunAsync(file);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed),
            string.Join("\n", run.Tasks.Values.Where(t => t.Error is not null).Select(t => $"{t.TaskId}: {t.Error}")));
        foreach (var task in run.Tasks.Values)
        {
            Assert.That(run.GetResult(task.TaskId), Is.Not.Null, $"{file}: task {task.TaskId} has a result");
        }
    }

    [Test]
    public async Task Keys_in_every_spelling_pass_text_along()
    {
        var run = await Harness.RunAsync("names_and_keys.yaml");

        Assert.That((string?)run.GetResult("closing")!["response"], Is.EqualTo("done: first words / after first words"));
    }

    [Test]
    public async Task Mcp_tools_compute_and_the_server_answers_its_own_methods()
    {
        var run = await Harness.RunAsync("mcp_forms.yaml");

        Assert.That(run.GetResult("double")!["result"]!.GetValue<double>(), Is.EqualTo(84));
        Assert.That((string?)run.GetResult("joined")!["response"], Is.EqualTo("Hello from the fixtures | sum 42 | double 84 | server gleitzeit-test-server"));
    }

    [Test]
    public async Task Python_references_keep_their_types_and_stay_data_in_code()
    {
        var run = await Harness.RunAsync("python_forms.yaml");

        Assert.That((string?)run.GetResult("report")!["result"]!["line"], Is.EqualTo("sum of 5 numbers: 50"));
        Assert.That((string?)run.GetResult("shout")!["result"], Is.EqualTo("SUM OF 5 NUMBERS: 50"));
    }

    [Test]
    public async Task Python_batch_counts_the_words_of_each_file()
    {
        var run = await Harness.RunAsync("batch_workflow_python.yaml");

        var counted = run.Tasks.Keys.Order(StringComparer.Ordinal).Select(id => (string?)run.GetResult(id)!["result"]!["file"]);
        Assert.That(counted, Is.EqualTo(new[] { "harbour.txt", "lighthouse.txt", "orchard.txt" }));
        var words = File.ReadAllText(Path.Combine(TestData.Fixtures, "documents", "harbour.txt")).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.That((int)run.GetResult("batch_1")!["result"]!["words"]!, Is.EqualTo(words));
    }
}
