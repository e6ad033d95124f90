using Gleitzeit.Core.Definitions;
using static Gleitzeit.Core.Tests.Definitions.LoaderTestSupport;

namespace Gleitzeit.Core.Tests.Definitions;

/// <summary>
/// Every workflow file of the original Gleitzeit loads unchanged and validates against providers for its methods.
/// Needs shared/conformance/original-examples above the clone; without it every test here reports skipped
/// (<see cref="FormatFixturesTests"/> checks the same forms on the repository's own files).
/// </summary>
[Category("OriginalExamples")]
public class OriginalExamplesTests
{
    /// <summary>Task count each file must yield (batch forms expanded against documents/ and images/).</summary>
    private static readonly Dictionary<string, int> ExpectedTasks = new(StringComparer.Ordinal)
    {
        ["examples/batch_image_description.yaml"] = 2,
        ["examples/batch_image_dynamic.yaml"] = 2,
        ["examples/batch_mixed_workflow.yaml"] = 4,
        ["examples/batch_python_workflow.yaml"] = 3,
        ["examples/batch_text_analysis.yaml"] = 3,
        ["examples/batch_text_dynamic.yaml"] = 3,
        ["examples/dependent_workflow.yaml"] = 3,
        ["examples/llm_workflow.yaml"] = 1,
        ["examples/mcp_workflow.yaml"] = 4,
        ["examples/meeting_analysis_workflow.yaml"] = 4,
        ["examples/mixed_vision_file_workflow.yaml"] = 3,
        ["examples/mixed_vision_text_workflow.yaml"] = 2,
        ["examples/mixed_workflow.yaml"] = 3,
        ["examples/parallel_workflow.yaml"] = 4,
        ["examples/python_only_workflow.yaml"] = 3,
        ["examples/simple_llm_workflow.yaml"] = 2,
        ["examples/simple_llm_workflow_fixed.yaml"] = 2,
        ["examples/simple_mcp_workflow.yaml"] = 4,
        ["examples/simple_python_workflow.yaml"] = 1,
        ["examples/test_complex_python.yaml"] = 3,
        ["examples/test_context_workflow.yaml"] = 2,
        ["examples/test_mixed_substitution.yaml"] = 4,
        ["examples/text_file_workflow.yaml"] = 4,
        ["examples/vision_file_workflow.yaml"] = 3,
        ["examples/vision_workflow.yaml"] = 3,
        ["examples/workflows/simple_echo_v4.yaml"] = 3,
        ["tests/llm_test.yaml"] = 1,
        ["tests/mcp_test_workflow.yaml"] = 5,
        ["tests/simple_test.yaml"] = 1,
        ["tests/test_cli_workflow.yaml"] = 2,
    };

    private static string Relative(string root, string file) => Path.GetRelativePath(root, file).Replace('\\', '/');

    [Test]
    public void Every_original_workflow_file_loads_and_validates()
    {
        var root = OriginalExamplesDirectory();
        var files = Directory.GetFiles(root, "*.yaml", SearchOption.AllDirectories).Concat(Directory.GetFiles(root, "*.yml", SearchOption.AllDirectories))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        Assert.That(files, Is.Not.Empty);
        var registry = OriginalRegistry();
        var failures = new List<string>();
        foreach (var file in files)
        {
            var name = Relative(root, file);
            try
            {
                var workflow = WorkflowLoader.LoadFile(file, root, registry);
                if (!ExpectedTasks.TryGetValue(name, out var expected)) failures.Add($"{name}: loaded {workflow.Tasks.Count} tasks, but the test has no expectation for this file");
                else if (workflow.Tasks.Count != expected) failures.Add($"{name}: {workflow.Tasks.Count} tasks, expected {expected}");
                if (workflow.BaseDirectory != root) failures.Add($"{name}: base directory {workflow.BaseDirectory}");
            }
            catch (GleitzeitException ex)
            {
                failures.Add($"{name}: {ex.Message}");
            }
        }
        Assert.That(failures, Is.Empty, string.Join(Environment.NewLine, failures));
        Assert.That(files.Select(f => Relative(root, f)), Is.EquivalentTo(ExpectedTasks.Keys), "the conformance folder changed");
    }

    [Test]
    public void Batch_mode_files_expand_into_one_task_each_and_dependents_wait_for_all()
    {
        var root = OriginalExamplesDirectory();
        var wf = WorkflowLoader.LoadFile(Path.Combine(root, "examples/batch_mixed_workflow.yaml"), root, OriginalRegistry());

        Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "summarize_documents_1", "summarize_documents_2", "summarize_documents_3", "analyze_summaries" }));
        Assert.That(wf.Tasks.Take(3).Select(t => (string?)t.Parameters["file_path"]), Is.EqualTo(new[]
        {
            "examples/documents/sample_story.txt", "examples/documents/meeting_notes.txt", "examples/documents/technical_spec.txt",
        }));
        Assert.That(wf.Tasks[0].Parameters.ContainsKey("batch_mode"), Is.False);
        Assert.That(wf.Tasks[0].Parameters.ContainsKey("files"), Is.False);
        Assert.That(wf.Tasks[0].Parameters["messages"]!.AsArray(), Has.Count.EqualTo(1));
        Assert.That(wf.Tasks[0].Priority, Is.EqualTo(TaskPriority.High));
        Assert.That(wf.Tasks[3].Dependencies, Is.EqualTo(new[] { "summarize_documents_1", "summarize_documents_2", "summarize_documents_3" }));
    }

    [Test]
    public void Batch_mode_image_paths_go_to_image_path()
    {
        var root = OriginalExamplesDirectory();
        var wf = WorkflowLoader.LoadFile(Path.Combine(root, "examples/batch_image_description.yaml"), root);

        Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "batch_describe_images_1", "batch_describe_images_2" }));
        Assert.That(wf.Tasks.Select(t => (string?)t.Parameters["image_path"]), Is.EqualTo(new[] { "examples/images/test_colors.png", "examples/images/sales_chart.png" }));
        Assert.That(wf.Tasks[0].Parameters.ContainsKey("image_paths"), Is.False);
        Assert.That(wf.Tasks[0].Name, Is.EqualTo("batch_describe_images (test_colors.png)"));
    }

    [Test]
    public void Batch_workflow_scans_the_directory_in_ordinal_order()
    {
        var root = OriginalExamplesDirectory();
        var wf = WorkflowLoader.LoadFile(Path.Combine(root, "examples/batch_text_dynamic.yaml"), root);

        Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "batch_1", "batch_2", "batch_3" }));
        Assert.That(wf.Tasks.Select(t => (string?)t.Parameters["file_path"]), Is.EqualTo(new[]
        {
            "examples/documents/meeting_notes.txt", "examples/documents/sample_story.txt", "examples/documents/technical_spec.txt",
        }));
        Assert.That(wf.Tasks[0].Method, Is.EqualTo("llm/chat"));
        Assert.That((string?)wf.Tasks[0].Parameters["model"], Is.EqualTo("llama3.2:latest"));
        Assert.That(wf.Tasks[0].Parameters["messages"]!.AsArray(), Has.Count.EqualTo(2));
    }

    [Test]
    public void Python_batch_workflow_puts_the_file_in_context_and_keeps_the_template_parameters()
    {
        var root = OriginalExamplesDirectory();
        var wf = WorkflowLoader.LoadFile(Path.Combine(root, "examples/batch_python_workflow.yaml"), root);

        var first = wf.Tasks[0];
        Assert.That(first.Protocol, Is.EqualTo("python/v1"));
        Assert.That((string?)first.Parameters["context"]!["file_path"], Is.EqualTo("examples/documents/meeting_notes.txt"));
        Assert.That((string?)first.Parameters["file"], Is.EqualTo("examples/scripts/read_text_file.py"));
        Assert.That((long?)first.Parameters["timeout"], Is.EqualTo(10));
    }

    [Test]
    public void Name_only_tasks_are_referenced_by_name()
    {
        var root = OriginalExamplesDirectory();
        var wf = WorkflowLoader.LoadFile(Path.Combine(root, "tests/simple_test.yaml"), root, OriginalRegistry());

        Assert.That(wf.Tasks[0].Id, Is.EqualTo("Echo Task"));
        Assert.That(wf.Tasks[0].Protocol, Is.EqualTo("echo/v1"));
        Assert.That(wf.Tasks[0].Priority, Is.EqualTo(TaskPriority.High));
    }

    [Test]
    public void Retry_with_base_delay_from_the_original_tests_folder()
    {
        var root = OriginalExamplesDirectory();
        var wf = WorkflowLoader.LoadFile(Path.Combine(root, "tests/llm_test.yaml"), root);

        var retry = wf.Tasks[0].Retry!;
        Assert.That(retry.MaxAttempts, Is.EqualTo(2));
        Assert.That(retry.InitialDelay, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That((double?)wf.Tasks[0].Parameters["temperature"], Is.EqualTo(0.7));
    }
}
