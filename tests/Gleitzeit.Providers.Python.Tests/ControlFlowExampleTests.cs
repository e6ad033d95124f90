using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>The control-flow examples of examples/ (when, join, loop) run as shipped, with a real python3.</summary>
public class ControlFlowExampleTests
{
    private PythonProvider _python = null!;
    private ProviderRegistry _registry = null!;
    private ExecutionEngine _engine = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _python = new PythonProvider();
        _registry = new ProviderRegistry();
        _registry.Register(_python);
        _engine = new ExecutionEngine(_registry);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _engine.DisposeAsync();
        await _python.DisposeAsync();
    }

    private static string Example(string file)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "examples", file);
            if (File.Exists(path)) return path;
        }
        Assert.Fail($"examples/{file} not found above the test directory");
        return null!;
    }

    private Workflow Load(string file) => WorkflowLoader.LoadFile(Example(file), registry: _registry);

    [Test]
    public async Task The_condition_example_publishes_and_reports_through_join_any()
    {
        var run = await _engine.RunAsync(Load("condition_workflow.yaml"));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(run.Tasks["hold"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["hold"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionFalse));
        Assert.That((string?)run.GetResult("report")!["result"], Is.EqualTo("published 9 words"));
    }

    [Test]
    public async Task The_condition_example_holds_back_with_a_high_threshold()
    {
        var run = await _engine.RunAsync(Load("condition_workflow.yaml"), new RunOptions { Inputs = new Dictionary<string, JsonNode?> { ["threshold"] = 20 } });

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(run.Tasks["publish"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That((string?)run.GetResult("report")!["result"], Is.EqualTo("held back"));
    }

    [Test]
    public async Task The_loop_example_revises_until_the_score_is_reached()
    {
        var run = await _engine.RunAsync(Load("loop_workflow.yaml"));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        var revise = run.Tasks["revise"];
        Assert.That(revise.History.Select(i => (int)i.Result!["result"]!["score"]!), Is.EqualTo(new[] { 4, 6, 8 }));
        Assert.That(revise.History.Select(i => (int)i.Result!["result"]!["iteration"]!), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That((string?)run.GetResult("final")!["result"], Is.EqualTo("Gleitzeit runs workflows. Better. Better. Better. (score 8)"));
    }
}
