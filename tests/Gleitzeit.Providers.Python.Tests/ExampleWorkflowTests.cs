using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>
/// The original Gleitzeit example workflows that use Python, built in code with the scripts they name (written by the
/// test: the originals do not ship them); and the original YAML files themselves, run against a temp copy of the
/// examples folder when shared/conformance/original-examples is beside the clone (skipped otherwise).
/// </summary>
public class ExampleWorkflowTests
{
    private string _root = null!;
    private PythonProvider _python = null!;
    private ProviderRegistry _registry = null!;
    private ExecutionEngine _engine = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _root = Directory.CreateTempSubdirectory("gleitzeit-py-examples-").FullName;
        if (TestData.OriginalExamplesOrNull() is { } originals) TestData.CopyDirectory(Path.Combine(originals, "examples"), Examples);
        OriginalExampleScripts.WriteTo(_root);
        // count_words.py reads examples/doc1.txt; without the originals the test writes one of its own.
        var doc1 = Path.Combine(Examples, "doc1.txt");
        if (!File.Exists(doc1)) File.WriteAllText(doc1, "A short document of our own, nine words long.\n");
        _python = new PythonProvider();
        _registry = new ProviderRegistry();
        _registry.Register(_python);
        _engine = new ExecutionEngine(_registry);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_engine is not null) await _engine.DisposeAsync();
        if (_python is not null) await _python.DisposeAsync();
        if (_root is not null) Directory.Delete(_root, recursive: true);
    }

    private string Examples => Path.Combine(_root, "examples");

    /// <summary>An original YAML file (the test reports skipped when the originals are not beside the clone).</summary>
    private Workflow Load(string file)
    {
        TestData.OriginalExamples();
        return WorkflowLoader.LoadFile(Path.Combine(_root, "examples", file), baseDirectory: _root, registry: _registry);
    }

    [Test]
    public async Task Yaml_python_only_workflow()
    {
        var run = await _engine.RunAsync(Load("python_only_workflow.yaml"));

        AssertCompleted(run);
        Assert.That(run.Name, Is.EqualTo("Python Only Workflow"));
        Assert.That((string?)run.GetResult("create_report")!["result"]!["report"], Is.EqualTo("10 numbers, sum 55, average 5.5"));
    }

    [Test]
    public async Task Yaml_test_complex_python()
    {
        var run = await _engine.RunAsync(Load("test_complex_python.yaml"));

        AssertCompleted(run);
        Assert.That((int)run.GetResult("process_data")!["result"]!["count"]!, Is.EqualTo(10), "count arrived as an int");
        Assert.That((int)run.GetResult("final_report")!["result"]!["sum"]!, Is.EqualTo(55));
    }

    [Test]
    public async Task Yaml_simple_python_workflow()
    {
        var expected = File.ReadAllText(Path.Combine(Examples, "doc1.txt")).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

        var run = await _engine.RunAsync(Load("simple_python_workflow.yaml"));

        AssertCompleted(run);
        Assert.That((int)run.GetResult("run_python_script")!["result"]!["word_count"]!, Is.EqualTo(expected));
    }

    [Test]
    public async Task Yaml_test_context_workflow()
    {
        var run = await _engine.RunAsync(Load("test_context_workflow.yaml"));

        AssertCompleted(run);
        var result = run.GetResult("second_task")!["result"]!;
        Assert.That((bool)result["all_passed"]!, Is.True, result.ToJsonString());
    }

    [Test]
    public async Task Yaml_batch_python_workflow()
    {
        var workflow = Load("batch_python_workflow.yaml");
        var documents = Directory.GetFiles(Path.Combine(_root, "examples", "documents"), "*.txt");

        var run = await _engine.RunAsync(workflow);

        AssertCompleted(run);
        var counted = run.Tasks.Keys.Select(id => (string?)run.GetResult(id)!["result"]!["file"]).Order().ToList();
        Assert.That(counted, Is.EqualTo(documents.Select(Path.GetFileName).Order().ToList()));
    }

    // Built with WorkflowBuilder to mirror the YAML files task for task (same ids, methods, parameters, dependencies, priorities).
    private Workflow PythonOnly(string name, string first, string second, string third, bool passCount) => new WorkflowBuilder(name)
        .WithBaseDirectory(_root)
        .WithTimeout(TimeSpan.FromSeconds(30))
        .Python(first, file: "examples/scripts/generate_numbers.py", timeout: TimeSpan.FromSeconds(5), configure: t => t.WithPriority(3))
        .Python(second, file: "examples/scripts/calculate_sum.py", timeout: TimeSpan.FromSeconds(5), dependsOn: [first], configure: t => t.WithPriority(2),
            context: passCount
                ? new JsonObject { ["numbers"] = $"${{{first}.result.numbers}}", ["count"] = $"${{{first}.result.count}}" }
                : new JsonObject { ["numbers"] = $"${{{first}.result.numbers}}" })
        .Python(third, file: "examples/scripts/format_report.py", timeout: TimeSpan.FromSeconds(5), dependsOn: [first, second], configure: t => t.WithPriority(1),
            context: new JsonObject { ["number_data"] = $"${{{first}.result}}", ["sum_data"] = $"${{{second}.result}}" })
        .Build();

    [Test]
    public async Task Python_only_workflow()
    {
        var run = await _engine.RunAsync(PythonOnly("Python Only Workflow", "generate_data", "calculate_stats", "create_report", passCount: false));

        AssertCompleted(run);
        Assert.That((string?)run.GetResult("create_report")!["result"]!["report"], Is.EqualTo("10 numbers, sum 55, average 5.5"));
        Assert.That((string?)run.GetResult("generate_data")!["output"], Is.EqualTo("generated 10 numbers\n"));
    }

    [Test]
    public async Task Test_complex_python()
    {
        var run = await _engine.RunAsync(PythonOnly("Test Complex Python Data Passing", "create_data", "process_data", "final_report", passCount: true));

        AssertCompleted(run);
        Assert.That((int)run.GetResult("process_data")!["result"]!["count"]!, Is.EqualTo(10));
        Assert.That((int)run.GetResult("final_report")!["result"]!["sum"]!, Is.EqualTo(55));
    }

    [Test]
    public async Task Simple_python_workflow()
    {
        var workflow = new WorkflowBuilder("Simple Python Execution Workflow").WithBaseDirectory(_root)
            .Python("run_python_script", file: "examples/scripts/count_words.py", timeout: TimeSpan.FromSeconds(10), configure: t => t.WithPriority(1))
            .Build();
        var expected = File.ReadAllText(Path.Combine(Examples, "doc1.txt")).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

        var run = await _engine.RunAsync(workflow);

        AssertCompleted(run);
        Assert.That((int)run.GetResult("run_python_script")!["result"]!["word_count"]!, Is.EqualTo(expected));
    }

    [Test]
    public async Task Test_context_workflow()
    {
        var workflow = new WorkflowBuilder("Test Context Passing").WithBaseDirectory(_root)
            .Python("first_task", file: "examples/scripts/generate_numbers.py", timeout: TimeSpan.FromSeconds(5), configure: t => t.WithPriority(2))
            .Python("second_task", file: "examples/scripts/test_context.py", timeout: TimeSpan.FromSeconds(5), dependsOn: ["first_task"], configure: t => t.WithPriority(1),
                context: new { numbers = "${first_task.result.numbers}", count = "${first_task.result.count}", test_string = "hello world", test_number = 42 })
            .Build();

        var run = await _engine.RunAsync(workflow);

        AssertCompleted(run);
        var result = run.GetResult("second_task")!["result"]!;
        Assert.That((bool)result["all_passed"]!, Is.True, result.ToJsonString());
    }

    [Test]
    public async Task A_failing_python_task_skips_its_dependents()
    {
        var workflow = new WorkflowBuilder("failing").WithBaseDirectory(_root)
            .Python("bad", code: "result = 1 / 0")
            .Python("after", code: "result = ${bad.result}", dependsOn: ["bad"])
            .Python("independent", code: "result = 'ran'")
            .Build();

        var run = await _engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["bad"].Error!.Message, Does.StartWith("ZeroDivisionError: division by zero (<task>, line 1)"));
        Assert.That(run.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That((string?)run.GetResult("independent")!["result"], Is.EqualTo("ran"));
    }

    [Test]
    public async Task Printed_lines_stream_as_task_progress_events()
    {
        var events = new List<WorkflowEvent>();
        var workflow = new WorkflowBuilder("progress").Python("p", code: "for i in range(3):\n    print('step', i)").Build();

        await _engine.RunAsync(workflow, new RunOptions { OnEvent = e => { lock (events) events.Add(e); } });

        List<string> lines;
        lock (events) lines = events.OfType<TaskProgress>().Where(e => e.Kind == TaskProgressKind.Output).Select(e => e.Text).ToList();
        Assert.That(lines, Is.EqualTo(new[] { "step 0", "step 1", "step 2" }));
    }

    private static void AssertCompleted(WorkflowRun run) =>
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed),
            string.Join("\n", run.Tasks.Values.Where(t => t.Error is not null).Select(t => $"{t.TaskId}: {t.Error}")));
}
