using System.Text.RegularExpressions;
using Gleitzeit.Core.Definitions;
using static Gleitzeit.Core.Tests.Definitions.LoaderTestSupport;

namespace Gleitzeit.Core.Tests.Definitions;

/// <summary>
/// The repository's own workflow files (tests/fixtures/workflows) hold every form of the original Gleitzeit format;
/// each loads, validates and expands as the format says. The same checks against the original files are in
/// <see cref="OriginalExamplesTests"/>, which runs when those files are beside the clone.
/// </summary>
public class FormatFixturesTests
{
    /// <summary>Task count each fixture must yield (batch forms expanded against documents/ and images/).</summary>
    private static readonly Dictionary<string, int> ExpectedTasks = new(StringComparer.Ordinal)
    {
        ["batch_listed_files.yaml"] = 4,
        ["batch_listed_images.yaml"] = 2,
        ["batch_scanned_directory.yaml"] = 3,
        ["batch_workflow_chat.yaml"] = 3,
        ["batch_workflow_python.yaml"] = 3,
        ["batch_workflow_vision.yaml"] = 2,
        ["llm_forms.yaml"] = 6,
        ["mcp_forms.yaml"] = 7,
        ["names_and_keys.yaml"] = 4,
        ["python_forms.yaml"] = 4,
    };

    /// <summary>Each form of the original format (ARCHITECTURE.md §6, docs/workflow-yaml.md) and a pattern that finds it in a fixture.</summary>
    private static readonly (string Form, string Pattern)[] Forms =
    [
        ("a task keyed by id", @"^\s*- id: "),
        ("a task keyed by name only", @"^\s*- name: ""[^""]+""\s*(#.*)?\n\s+protocol:"),
        ("params", @"^\s+params:"),
        ("parameters", @"^\s+parameters:"),
        ("empty parameters", @"^\s+parameters: \{\}"),
        ("dependencies", @"^\s+dependencies: \["),
        ("depends_on as a list", @"^\s+depends_on: \["),
        ("depends_on as one id", @"^\s+depends_on: [\w-]+\s*$"),
        ("an explicit protocol", @"^\s+protocol: ""?\w+/v1"),
        ("a method without '/' (custom protocol)", @"^\s+method: ""?echo""?\s*$"),
        ("priority as a word", @"^\s+priority: ""?(low|normal|high|urgent)""?\s*$"),
        ("priority as an integer", @"^\s+priority: \d+\s*$"),
        ("a task timeout", @"^    timeout: \d+"),
        ("a workflow timeout", @"^timeout: \d+"),
        ("wait_for_completion", @"^wait_for_completion: true"),
        ("version", @"^version: "),
        ("retry with max_attempts and base_delay", @"retry:\s*\n\s+max_attempts: \d+\s*\n\s+base_delay: "),
        ("retry with delay and backoff", @"retry: \{ max_attempts: \d+, delay: [\d.]+, backoff: \d+"),
        ("retry as a number", @"^\s+retry: \d+\s*$"),
        ("method mcp/tool.NAME", @"method: ""mcp/tool\.\w+"""),
        ("method tool.NAME", @"method: tool\.\w+"),
        ("mcp/ping, mcp/tools/list, mcp/server_info", @"mcp/ping(.|\n)*mcp/tools/list(.|\n)*mcp/server_info"),
        ("llm/chat with messages", @"method: ""?llm/chat""?(.|\n)*?messages:"),
        ("llm/generate with prompt", @"method: llm/generate(.|\n)*?prompt: "),
        ("llm/vision with base64 images", @"images:\s*\n\s+- ""iVBOR"),
        ("llm/vision with image_path", @"image_path: "),
        ("file_path on an llm task", @"file_path: ""documents/"),
        ("python/execute with file, context and timeout", @"file: ""scripts/\w+\.py""\s*\n\s+context:"),
        ("python/execute with code", @"code: "),
        ("a reference ${t.response}", @"\$\{[\w-]+\.response\}"),
        ("a reference ${t.content}", @"\$\{[\w-]+\.content\}"),
        ("a reference ${t.result.content}", @"\$\{[\w-]+\.result\.content\}"),
        ("a reference ${t.result.X} to a Python result", @"\$\{\w+\.result\.numbers\}"),
        ("a reference to a task named with a space", @"\$\{Opening Line\.response\}"),
        ("block text", @"content: \|"),
        ("batch_mode with files", @"batch_mode: true\s*\n\s+files:"),
        ("batch_mode with image_paths", @"image_paths:(.|\n)*?batch_mode: true"),
        ("batch_mode with directory and file_pattern", @"batch_mode: true\s*\n\s+directory: \w+\s*\n\s+file_pattern: "),
        ("type: batch", @"^type: ""?batch""?"),
        ("batch directory and pattern", @"^batch:\s*\n\s+directory: .*\n\s+pattern: "),
        ("template with method, model and messages", @"^template:\s*\n\s+method: .*\n\s+model: .*\n\s+messages:"),
        ("template with prompt", @"^template:(.|\n)*?prompt: "),
        ("a top-level protocol for a batch template", @"^protocol: ""python/v1"""),
        ("${file_name} in a batch task", @"\$\{file_name\}"),
        ("${file_path} in a batch task", @"\$\{file_path\}"),
    ];

    private static IReadOnlyList<string> Files() =>
        Directory.GetFiles(FixturesDirectory(), "*.yaml").Order(StringComparer.Ordinal).ToList();

    private static Workflow Load(string file, bool registry = true) =>
        WorkflowLoader.LoadFile(Path.Combine(FixturesDirectory(), file), FixturesDirectory(), registry ? OriginalRegistry() : null);

    [Test]
    public void Every_fixture_loads_and_validates()
    {
        var root = FixturesDirectory();
        var failures = new List<string>();
        foreach (var file in Files())
        {
            var name = Path.GetFileName(file);
            try
            {
                var workflow = WorkflowLoader.LoadFile(file, root, OriginalRegistry());
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
        Assert.That(Files().Select(Path.GetFileName), Is.EquivalentTo(ExpectedTasks.Keys), "the fixtures folder changed");
    }

    [Test]
    public void The_fixtures_hold_every_form_of_the_original_format()
    {
        var texts = Files().Select(File.ReadAllText).ToList();
        var missing = Forms.Where(f => !texts.Any(t => Regex.IsMatch(t, f.Pattern, RegexOptions.Multiline))).Select(f => f.Form).ToList();
        Assert.That(missing, Is.Empty, "forms no fixture uses: " + string.Join(", ", missing));
    }

    [Test]
    public void Keys_in_every_spelling_mean_the_same()
    {
        var wf = Load("names_and_keys.yaml");

        Assert.That(wf.Name, Is.EqualTo("Names and keys"));
        Assert.That(wf.Version, Is.EqualTo("1.0"));
        Assert.That(wf.Timeout, Is.EqualTo(TimeSpan.FromSeconds(60)));
        Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "Opening Line", "second-line", "third", "closing" }));
        Assert.That(wf.Tasks.Select(t => t.Protocol), Is.All.EqualTo("echo/v1"));
        Assert.That(wf.Tasks.Select(t => t.Priority), Is.EqualTo(new[] { TaskPriority.Urgent, TaskPriority.High, 2, TaskPriority.Low }));
        Assert.That(wf.Tasks[1].Name, Is.EqualTo("Second line"));
        Assert.That((string?)wf.Tasks[1].Parameters["message"], Is.EqualTo("after ${Opening Line.response}"), "parameters: is params:");
        Assert.That(wf.Tasks[1].Dependencies, Is.EqualTo(new[] { "Opening Line" }));
        Assert.That(wf.Tasks[2].Dependencies, Is.EqualTo(new[] { "second-line" }), "depends_on with one id");
        Assert.That(wf.Tasks[3].Dependencies, Is.EqualTo(new[] { "Opening Line", "third" }));
        Assert.That(wf.Tasks[3].Timeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(wf.Tasks[3].Retry!.MaxAttempts, Is.EqualTo(2));
    }

    [Test]
    public void Llm_tasks_keep_their_parameters_and_retry_settings()
    {
        var wf = Load("llm_forms.yaml");

        var topic = wf.FindTask("topic")!;
        Assert.That(topic.Retry!.MaxAttempts, Is.EqualTo(2));
        Assert.That(topic.Retry.InitialDelay, Is.EqualTo(TimeSpan.FromSeconds(0.5)), "base_delay");
        Assert.That((double?)topic.Parameters["temperature"], Is.EqualTo(0.2));
        Assert.That(topic.Parameters["messages"]!.AsArray(), Has.Count.EqualTo(2));
        var poem = wf.FindTask("poem")!;
        Assert.That(poem.Protocol, Is.EqualTo("llm/v1"), "inferred from the method");
        Assert.That((poem.Retry!.MaxAttempts, poem.Retry.InitialDelay, poem.Retry.BackoffFactor, poem.Retry.MaxDelay),
            Is.EqualTo((3, TimeSpan.FromSeconds(0.25), 2.0, TimeSpan.FromSeconds(1))));
        Assert.That((string?)wf.FindTask("describe-picture")!.Parameters["images"]![0], Does.StartWith("iVBOR"));
        Assert.That((string?)wf.FindTask("describe_file_picture")!.Parameters["image_path"], Is.EqualTo("images/dots.png"));
        Assert.That(wf.FindTask("combine")!.Dependencies, Has.Count.EqualTo(4));
    }

    [Test]
    public void Mcp_methods_route_to_mcp_in_both_spellings()
    {
        var wf = Load("mcp_forms.yaml");

        Assert.That(wf.Tasks.Select(t => t.Protocol), Is.All.EqualTo("mcp/v1"));
        Assert.That(wf.Tasks.Select(t => t.Method), Is.EqualTo(new[]
        {
            "mcp/ping", "mcp/tools/list", "mcp/server_info", "mcp/tool.echo", "tool.add", "mcp/tool.multiply", "tool.concat",
        }));
        Assert.That(wf.FindTask("ping")!.Parameters, Is.Empty);
    }

    [Test]
    public void Batch_mode_files_expand_into_one_task_each_and_dependents_wait_for_all()
    {
        var wf = Load("batch_listed_files.yaml");

        Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "summarize_1", "summarize_2", "summarize_3", "tally" }));
        Assert.That(wf.Tasks.Take(3).Select(t => (string?)t.Parameters["file_path"]), Is.EqualTo(new[]
        {
            "documents/orchard.txt", "documents/harbour.txt", "documents/lighthouse.txt",
        }), "a listed batch keeps the list's order");
        Assert.That(wf.Tasks[0].Parameters.ContainsKey("batch_mode"), Is.False);
        Assert.That(wf.Tasks[0].Parameters.ContainsKey("files"), Is.False);
        Assert.That((string?)wf.Tasks[0].Parameters["messages"]![0]!["content"], Is.EqualTo("List the key topics of orchard.txt."));
        Assert.That(wf.Tasks[0].Priority, Is.EqualTo(TaskPriority.High));
        Assert.That(wf.Tasks[3].Dependencies, Is.EqualTo(new[] { "summarize_1", "summarize_2", "summarize_3" }));
    }

    [Test]
    public void Batch_mode_image_paths_go_to_image_path()
    {
        var wf = Load("batch_listed_images.yaml", registry: false);

        Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "describe_pictures_1", "describe_pictures_2" }));
        Assert.That(wf.Tasks.Select(t => (string?)t.Parameters["image_path"]), Is.EqualTo(new[] { "images/squares.png", "images/dots.png" }));
        Assert.That(wf.Tasks[0].Parameters.ContainsKey("image_paths"), Is.False);
        Assert.That(wf.Tasks[0].Name, Is.EqualTo("describe_pictures (squares.png)"));
    }

    [Test]
    public void Batch_mode_directory_is_scanned_with_its_pattern()
    {
        var wf = Load("batch_scanned_directory.yaml");

        Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "headline_1", "headline_2", "headline_3" }));
        Assert.That(wf.Tasks.Select(t => (string?)t.Parameters["prompt"]), Is.EqualTo(new[]
        {
            "Write a headline for documents/harbour.txt.", "Write a headline for documents/lighthouse.txt.", "Write a headline for documents/orchard.txt.",
        }));
        Assert.That(wf.Tasks[0].Parameters.ContainsKey("directory"), Is.False);
        Assert.That(wf.Tasks[0].Parameters.ContainsKey("file_pattern"), Is.False);
    }

    [Test]
    public void Batch_workflow_scans_the_directory_in_ordinal_order()
    {
        var wf = Load("batch_workflow_chat.yaml", registry: false);

        Assert.That(wf.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "batch_1", "batch_2", "batch_3" }));
        Assert.That(wf.Tasks.Select(t => (string?)t.Parameters["file_path"]), Is.EqualTo(new[]
        {
            "documents/harbour.txt", "documents/lighthouse.txt", "documents/orchard.txt",
        }));
        Assert.That(wf.Tasks[0].Method, Is.EqualTo("llm/chat"));
        Assert.That((string?)wf.Tasks[0].Parameters["model"], Is.EqualTo("llama3.2:latest"));
        Assert.That(wf.Tasks[0].Parameters["messages"]!.AsArray(), Has.Count.EqualTo(2));
    }

    [Test]
    public void Batch_workflow_over_images_takes_the_template_prompt()
    {
        var wf = Load("batch_workflow_vision.yaml");

        Assert.That(wf.Tasks.Select(t => (string?)t.Parameters["image_path"]), Is.EqualTo(new[] { "images/dots.png", "images/squares.png" }));
        Assert.That(wf.Tasks.Select(t => (string?)t.Parameters["prompt"]), Is.All.EqualTo("What is in this picture?"));
    }

    [Test]
    public void Python_batch_workflow_puts_the_file_in_context_and_keeps_the_template_parameters()
    {
        var wf = Load("batch_workflow_python.yaml", registry: false);

        var first = wf.Tasks[0];
        Assert.That(first.Protocol, Is.EqualTo("python/v1"));
        Assert.That((string?)first.Parameters["context"]!["file_path"], Is.EqualTo("documents/harbour.txt"));
        Assert.That((string?)first.Parameters["file"], Is.EqualTo("scripts/word_count.py"));
        Assert.That((long?)first.Parameters["timeout"], Is.EqualTo(10));
    }
}
