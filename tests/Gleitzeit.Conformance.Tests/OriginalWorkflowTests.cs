using System.Text.RegularExpressions;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Testing;

namespace Gleitzeit.Conformance.Tests;

/// <summary>
/// Every workflow file of the Python Gleitzeit 0.0.4 (shared/conformance/original-examples), loaded as published and run
/// to completion against a temp copy of that folder, with what each needs: the Ollama-API test server, python3 with the
/// scripts the files name (written here: the originals do not ship them), our MCP test server (echo/add/multiply/concat)
/// and an <c>echo/v1</c> provider.
/// </summary>
[Category("OriginalExamples")]
public partial class OriginalWorkflowTests
{
    /// <summary>
    /// Files that cannot run as published, with the reason. Each is listed in docs/migrating-from-python.md; the tests
    /// below fail when one of them starts to run (remove it here and there) or when the two lists differ.
    /// </summary>
    private static readonly Dictionary<string, string> NotRunnable = new(StringComparer.Ordinal);

    private WorkflowHarness? _harness;

    private WorkflowHarness Harness => _harness!;

    [OneTimeSetUp]
    public async Task StartAsync() => _harness = await WorkflowHarness.StartAsync(TestData.OriginalExamples(), withOriginalScripts: true);

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        // Nothing was started when the original examples are absent (the setup reported the fixture skipped).
        if (_harness is not null) await _harness.DisposeAsync();
    }

    /// <summary>Every .yaml file of the conformance set, as a path relative to original-examples; one skipped case when the set is absent.</summary>
    public static IEnumerable<TestCaseData> AllFiles()
    {
        if (TestData.OriginalExamplesOrNull() is not { } root)
        {
            yield return new TestCaseData("(original examples absent)").Ignore(TestData.OriginalExamplesMissing);
            yield break;
        }
        foreach (var file in Directory.GetFiles(root, "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal))
        {
            yield return new TestCaseData(file);
        }
    }

    [Test]
    public void The_conformance_set_is_all_there() =>
        Assert.That(Directory.GetFiles(TestData.OriginalExamples(), "*.yaml", SearchOption.AllDirectories), Has.Length.GreaterThanOrEqualTo(30),
            "shared/conformance/original-examples has fewer workflow files than published");

    [TestCaseSource(nameof(AllFiles))]
    public async Task Runs_to_completion(string file)
    {
        WorkflowRun run;
        try
        {
            run = await Harness.RunAsync(file);
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
        var run = await Harness.RunAsync("examples/simple_mcp_workflow.yaml");

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.GetResult("calculate_product")!["result"]!.GetValue<double>(), Is.EqualTo(200));
        Assert.That((string?)run.GetResult("combine_results")!["response"], Does.Contain("Sum was 100").And.Contain("Product is 200"));
    }

    [Test]
    public async Task Echo_workflow_passes_results_along()
    {
        var run = await Harness.RunAsync("examples/workflows/simple_echo_v4.yaml");

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)run.GetResult("final-echo")!["response"],
            Is.EqualTo("Workflow complete! First: Hello from the first task!, Second: Previous task said: Hello from the first task!"));
    }

    [Test]
    public async Task Mixed_workflow_feeds_the_llm_answer_to_python()
    {
        var run = await Harness.RunAsync("examples/mixed_workflow.yaml");

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        // The test server echoes the prompt, which names 5, 1 and 100.
        Assert.That(run.GetResult("calculate_stats")!["result"]!["numbers"]!.AsArray().Select(n => n!.GetValue<double>()), Is.EqualTo(new[] { 5.0, 1, 100 }));
        Assert.That((string?)run.GetResult("summarize_results")!["response"], Does.Contain("\"count\":3"));
    }

    [GeneratedRegex(@"^\|\s*`([^`]+\.yaml)`", RegexOptions.Multiline)]
    private static partial Regex ListedFile();
}
