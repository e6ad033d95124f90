using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;
using static Gleitzeit.Core.Tests.Definitions.LoaderTestSupport;

namespace Gleitzeit.Core.Tests.Batch;

/// <summary>The original batch examples run unchanged against the Ollama test server (and real python3 for the mixed one).</summary>
public sealed class BatchYamlExamplesTests : BatchTestContext
{
    private async Task<WorkflowRun> RunExampleAsync(string name, bool python = false)
    {
        var root = OriginalExamplesDirectory();
        var sp = Services(more: b =>
        {
            if (python) b.AddPython(o => o.ScriptsDirectory = Dir);
        });
        var engine = sp.GetRequiredService<ExecutionEngine>();
        var workflow = WorkflowLoader.LoadFile(Path.Combine(root, "examples", name), root, engine.Registry);
        var run = await engine.RunAsync(workflow);
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed),
            string.Join("; ", run.Tasks.Values.Where(t => t.Error is not null).Select(t => $"{t.TaskId}: {t.Error!.Message}")));
        return run;
    }

    private static string Response(WorkflowRun run, string taskId) => run.GetResult(taskId)?["response"]?.GetValue<string>() ?? "";

    private static string Document(string file) => File.ReadAllText(Path.Combine(OriginalExamplesDirectory(), "examples", "documents", file)).Trim();

    [Test]
    public async Task batch_text_dynamic_summarizes_every_txt_with_its_text()
    {
        var run = await RunExampleAsync("batch_text_dynamic.yaml");
        Assert.That(run.Tasks.Keys, Is.EquivalentTo(new[] { "batch_1", "batch_2", "batch_3" }));
        // Sorted: meeting_notes, sample_story, technical_spec; the test server echoes the user message with the file appended.
        Assert.That(Response(run, "batch_1"), Does.Contain("Provide a 2-3 sentence summary").And.Contain(Document("meeting_notes.txt")[..40]));
        Assert.That(Response(run, "batch_3"), Does.Contain(Document("technical_spec.txt")[..40]));
        Assert.That(Server.RequestsTo("/api/chat").Select(r => r.System), Is.All.EqualTo("You are a helpful document analyzer."));
    }

    [Test]
    public async Task batch_image_dynamic_sends_each_png_to_llava()
    {
        var run = await RunExampleAsync("batch_image_dynamic.yaml");
        Assert.That(run.Tasks, Has.Count.EqualTo(2));
        var requests = Server.RequestsTo("/api/chat");
        Assert.That(requests.Select(r => r.Model), Is.All.EqualTo("llava:latest"));
        var images = Directory.GetFiles(Path.Combine(OriginalExamplesDirectory(), "examples", "images"), "*.png").Order(StringComparer.Ordinal)
            .Select(f => Convert.ToBase64String(File.ReadAllBytes(f)));
        Assert.That(requests.SelectMany(r => r.Images), Is.EquivalentTo(images));
    }

    [Test]
    public async Task batch_text_analysis_runs_its_three_tasks()
    {
        var run = await RunExampleAsync("batch_text_analysis.yaml");
        Assert.That(Response(run, "analyze_story"), Does.Contain(Document("sample_story.txt")[..40]));
        Assert.That(Response(run, "analyze_spec"), Does.Contain(Document("technical_spec.txt")[..40]));
        Assert.That(Response(run, "analyze_meeting_notes"), Does.Contain(Document("meeting_notes.txt")[..40]));
    }

    [Test]
    public async Task batch_image_description_expands_image_paths()
    {
        var run = await RunExampleAsync("batch_image_description.yaml");
        Assert.That(run.Tasks.Keys, Is.EquivalentTo(new[] { "batch_describe_images_1", "batch_describe_images_2" }));
        Assert.That(Server.RequestsTo("/api/chat").SelectMany(r => r.Images).ToList(), Has.Count.EqualTo(2));
        Assert.That(Response(run, "batch_describe_images_1"), Does.Contain("Describe what you see"));
    }

    [Test]
    public async Task batch_mixed_workflow_summarizes_then_runs_python_after_all_files()
    {
        await File.WriteAllTextAsync(Path.Combine(Dir, "analyze_batch_results.py"), "summaries = 3\nresult = {'analyzed': summaries}\nprint('analysis done')\n");
        var run = await RunExampleAsync("batch_mixed_workflow.yaml", python: true);
        Assert.That(run.Tasks.Keys, Is.EquivalentTo(new[] { "summarize_documents_1", "summarize_documents_2", "summarize_documents_3", "analyze_summaries" }));
        Assert.That(Response(run, "summarize_documents_1"), Does.Contain(Document("sample_story.txt")[..40]));
        var analysis = run.Tasks["analyze_summaries"];
        Assert.That(analysis.Result?["result"]?["analyzed"]?.GetValue<int>(), Is.EqualTo(3));
        var lastSummary = run.Tasks.Values.Where(t => t.TaskId.StartsWith("summarize_documents_", StringComparison.Ordinal)).Max(t => t.CompletedAt!.Value);
        Assert.That(analysis.StartedAt, Is.GreaterThanOrEqualTo(lastSummary), "the python task waits for every expanded file task");
    }
}
