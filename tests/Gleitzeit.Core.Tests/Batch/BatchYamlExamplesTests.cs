using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;
using static Gleitzeit.Core.Tests.Definitions.LoaderTestSupport;

namespace Gleitzeit.Core.Tests.Batch;

/// <summary>The batch forms of the original format (the repository's fixtures) run against the Ollama test server (and real python3).</summary>
public sealed class BatchYamlExamplesTests : BatchTestContext
{
    private async Task<WorkflowRun> RunFixtureAsync(string name, bool python = false)
    {
        var root = FixturesDirectory();
        var sp = Services(more: b =>
        {
            if (python) b.AddPython();
        });
        var engine = sp.GetRequiredService<ExecutionEngine>();
        var workflow = WorkflowLoader.LoadFile(Path.Combine(root, name), root, engine.Registry);
        var run = await engine.RunAsync(workflow);
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed),
            string.Join("; ", run.Tasks.Values.Where(t => t.Error is not null).Select(t => $"{t.TaskId}: {t.Error!.Message}")));
        return run;
    }

    private static string Response(WorkflowRun run, string taskId) => run.GetResult(taskId)?["response"]?.GetValue<string>() ?? "";

    private static string Document(string file) => File.ReadAllText(Path.Combine(FixturesDirectory(), "documents", file)).Trim();

    [Test]
    public async Task Batch_workflow_summarizes_every_txt_with_its_text()
    {
        var run = await RunFixtureAsync("batch_workflow_chat.yaml");
        Assert.That(run.Tasks.Keys, Is.EquivalentTo(new[] { "batch_1", "batch_2", "batch_3" }));
        // Sorted: harbour, lighthouse, orchard; the test server echoes the user message with the file appended.
        Assert.That(Response(run, "batch_1"), Does.Contain("Summarise this document in two sentences.").And.Contain(Document("harbour.txt")[..40]));
        Assert.That(Response(run, "batch_3"), Does.Contain(Document("orchard.txt")[..40]));
        Assert.That(Server.RequestsTo("/api/chat").Select(r => r.System), Is.All.EqualTo("You summarise documents."));
    }

    [Test]
    public async Task Batch_workflow_sends_each_png_to_llava()
    {
        var run = await RunFixtureAsync("batch_workflow_vision.yaml");
        Assert.That(run.Tasks, Has.Count.EqualTo(2));
        var requests = Server.RequestsTo("/api/chat");
        Assert.That(requests.Select(r => r.Model), Is.All.EqualTo("llava:latest"));
        var images = Directory.GetFiles(Path.Combine(FixturesDirectory(), "images"), "*.png").Order(StringComparer.Ordinal)
            .Select(f => Convert.ToBase64String(File.ReadAllBytes(f)));
        Assert.That(requests.SelectMany(r => r.Images), Is.EquivalentTo(images));
    }

    [Test]
    public async Task Batch_mode_directory_runs_one_task_per_scanned_file()
    {
        var run = await RunFixtureAsync("batch_scanned_directory.yaml");
        Assert.That(Response(run, "headline_1"), Does.Contain("Write a headline for documents/harbour.txt.").And.Contain(Document("harbour.txt")[..40]));
        Assert.That(Response(run, "headline_2"), Does.Contain(Document("lighthouse.txt")[..40]));
        Assert.That(Response(run, "headline_3"), Does.Contain(Document("orchard.txt")[..40]));
    }

    [Test]
    public async Task Batch_mode_image_paths_send_one_image_each()
    {
        var run = await RunFixtureAsync("batch_listed_images.yaml");
        Assert.That(run.Tasks.Keys, Is.EquivalentTo(new[] { "describe_pictures_1", "describe_pictures_2" }));
        Assert.That(Server.RequestsTo("/api/chat").SelectMany(r => r.Images).ToList(), Has.Count.EqualTo(2));
        Assert.That(Response(run, "describe_pictures_1"), Does.Contain("Describe the shapes and colours"));
    }

    [Test]
    public async Task Batch_mode_files_then_python_after_all_files()
    {
        var run = await RunFixtureAsync("batch_listed_files.yaml", python: true);
        Assert.That(run.Tasks.Keys, Is.EquivalentTo(new[] { "summarize_1", "summarize_2", "summarize_3", "tally" }));
        Assert.That(Response(run, "summarize_1"), Does.Contain("List the key topics of orchard.txt.").And.Contain(Document("orchard.txt")[..40]));
        var tally = run.Tasks["tally"];
        Assert.That(tally.Result?["result"]?["first_words"]?.GetValue<int>(), Is.EqualTo(Response(run, "summarize_1").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length));
        var lastSummary = run.Tasks.Values.Where(t => t.TaskId.StartsWith("summarize_", StringComparison.Ordinal)).Max(t => t.CompletedAt!.Value);
        Assert.That(tally.StartedAt, Is.GreaterThanOrEqualTo(lastSummary), "the python task waits for every expanded file task");
    }
}
