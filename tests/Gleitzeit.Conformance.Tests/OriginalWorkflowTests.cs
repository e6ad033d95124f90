using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.Mcp;
using Gleitzeit.Providers.Ollama;
using Gleitzeit.Providers.Python;
using Gleitzeit.Testing;
using Gleitzeit.Testing.Ollama;

namespace Gleitzeit.Conformance.Tests;

/// <summary>
/// Every workflow file of the Python Gleitzeit 0.0.4 (shared/conformance/original-examples), loaded as published and run
/// to completion against a temp copy of that folder, with what each needs: the Ollama-API test server, python3 with the
/// scripts the files name (written here: the originals do not ship them), our MCP test server (echo/add/multiply/concat)
/// and an <c>echo/v1</c> provider.
/// </summary>
public partial class OriginalWorkflowTests
{
    /// <summary>
    /// Files that cannot run as published, with the reason. Each is listed in docs/migrating-from-python.md; the tests
    /// below fail when one of them starts to run (remove it here and there) or when the two lists differ.
    /// </summary>
    private static readonly Dictionary<string, string> NotRunnable = new(StringComparer.Ordinal);

    private string _root = null!;
    private OllamaTestServer _ollama = null!;
    private OllamaProvider _llm = null!;
    private PythonProvider _python = null!;
    private McpProvider _mcp = null!;
    private ProviderRegistry _registry = null!;
    private ExecutionEngine _engine = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _root = Directory.CreateTempSubdirectory("gleitzeit-conformance-").FullName;
        Locations.CopyDirectory(Locations.OriginalExamples, _root);
        OriginalExampleScripts.WriteTo(_root);
        _ollama = await OllamaTestServer.StartAsync();
        _llm = new OllamaProvider(new OllamaOptions { Endpoint = _ollama.BaseUri });
        _python = new PythonProvider();
        var mcp = new McpOptions();
        mcp.Servers["tools"] = new McpServerOptions { Command = Locations.DotNet, Arguments = [Locations.McpTestServer] };
        _mcp = new McpProvider(mcp);
        _registry = new ProviderRegistry();
        _registry.Register(_llm);
        _registry.Register(_python);
        _registry.Register(_mcp);
        _registry.Register(DelegateProvider.Echo());
        _engine = new ExecutionEngine(_registry);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _engine.DisposeAsync();
        await _mcp.DisposeAsync();
        await _python.DisposeAsync();
        await _llm.DisposeAsync();
        await _ollama.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Every .yaml file of the conformance set, as a path relative to original-examples.</summary>
    public static IEnumerable<string> AllFiles() =>
        Directory.GetFiles(Locations.OriginalExamples, "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Locations.OriginalExamples, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    [Test]
    public void The_conformance_set_is_all_there() =>
        Assert.That(AllFiles().Count(), Is.GreaterThanOrEqualTo(30), "shared/conformance/original-examples has fewer workflow files than published");

    [TestCaseSource(nameof(AllFiles))]
    public async Task Runs_to_completion(string file)
    {
        WorkflowRun run;
        try
        {
            var workflow = WorkflowLoader.LoadFile(Path.Combine(_root, file), baseDirectory: _root, registry: _registry);
            run = await _engine.RunAsync(workflow);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && NotRunnable.ContainsKey(file))
        {
            Assert.Pass($"{file} does not run as published ({NotRunnable[file]}): {ex.Message}");
            return;
        }

        var failures = string.Join("\n", run.Tasks.Values.Where(t => t.Error is not null).Select(t => $"{t.TaskId}: {t.Error}"));
        if (NotRunnable.TryGetValue(file, out var reason))
        {
            Assert.That(run.Status, Is.Not.EqualTo(WorkflowStatus.Completed),
                $"{file} now runs: remove it from NotRunnable and from docs/migrating-from-python.md (it was listed because: {reason})");
            return;
        }
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), failures);
        Assert.That(run.Tasks, Is.Not.Empty);
        foreach (var task in run.Tasks.Values)
        {
            Assert.That(task.Status, Is.EqualTo(WorkflowTaskStatus.Completed), $"{file}: task {task.TaskId}");
            Assert.That(run.GetResult(task.TaskId), Is.Not.Null, $"{file}: task {task.TaskId} has a result");
        }
    }

    [Test]
    public void The_files_that_do_not_run_are_the_ones_the_migration_guide_lists()
    {
        var guide = File.ReadAllText(Path.Combine(Locations.RepositoryRoot, "docs", "migrating-from-python.md"));
        var section = guide[guide.IndexOf("## Original workflows that do not run as published", StringComparison.Ordinal)..];
        var next = section.IndexOf("\n## ", 3, StringComparison.Ordinal);
        if (next > 0) section = section[..next];
        var listed = ListedFile().Matches(section).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToList();

        Assert.That(listed, Is.EqualTo(NotRunnable.Keys.Order(StringComparer.Ordinal).ToList()));
    }

    // Spot checks that the runs did what the originals meant, beyond "completed".

    [Test]
    public async Task Simple_mcp_workflow_computes_through_the_mcp_server()
    {
        var run = await _engine.RunAsync(WorkflowLoader.LoadFile(Path.Combine(_root, "examples/simple_mcp_workflow.yaml"), baseDirectory: _root, registry: _registry));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.GetResult("calculate_product")!["result"]!.GetValue<double>(), Is.EqualTo(200));
        Assert.That((string?)run.GetResult("combine_results")!["response"], Does.Contain("Sum was 100").And.Contain("Product is 200"));
    }

    [Test]
    public async Task Echo_workflow_passes_results_along()
    {
        var run = await _engine.RunAsync(WorkflowLoader.LoadFile(Path.Combine(_root, "examples/workflows/simple_echo_v4.yaml"), baseDirectory: _root, registry: _registry));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)run.GetResult("final-echo")!["response"],
            Is.EqualTo("Workflow complete! First: Hello from the first task!, Second: Previous task said: Hello from the first task!"));
    }

    [Test]
    public async Task Mixed_workflow_feeds_the_llm_answer_to_python()
    {
        var run = await _engine.RunAsync(WorkflowLoader.LoadFile(Path.Combine(_root, "examples/mixed_workflow.yaml"), baseDirectory: _root, registry: _registry));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        // The test server echoes the prompt, which names 5, 1 and 100.
        Assert.That(run.GetResult("calculate_stats")!["result"]!["numbers"]!.AsArray().Select(n => n!.GetValue<double>()), Is.EqualTo(new[] { 5.0, 1, 100 }));
        Assert.That((string?)run.GetResult("summarize_results")!["response"], Does.Contain("\"count\":3"));
    }

    [GeneratedRegex(@"^\|\s*`([^`]+\.yaml)`", RegexOptions.Multiline)]
    private static partial Regex ListedFile();
}
