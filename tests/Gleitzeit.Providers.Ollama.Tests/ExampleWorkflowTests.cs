using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.TestServers.Ollama;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Providers.Ollama.Tests;

/// <summary>The original Gleitzeit example workflows that use only llm/*, loaded unchanged from YAML and run against the test server.</summary>
public sealed class ExampleWorkflowTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "OriginalExamples");

    private OllamaTestServer _server = null!;
    private ServiceProvider _services = null!;
    private ExecutionEngine _engine = null!;

    public static IEnumerable<string> Examples =>
    [
        "examples/llm_workflow.yaml",
        "examples/dependent_workflow.yaml",
        "examples/simple_llm_workflow.yaml",
        "examples/simple_llm_workflow_fixed.yaml",
        "examples/text_file_workflow.yaml",
        "examples/vision_file_workflow.yaml",
        "examples/vision_workflow.yaml",
        "examples/mixed_vision_text_workflow.yaml",
        "examples/meeting_analysis_workflow.yaml",
        "examples/batch_text_analysis.yaml",
        "tests/llm_test.yaml",
        "tests/test_cli_workflow.yaml",
    ];

    [SetUp]
    public async Task SetUp()
    {
        _server = await OllamaTestServer.StartAsync();
        var services = new ServiceCollection();
        services.AddGleitzeit().AddOllama(o => o.Endpoint = _server.BaseUri);
        _services = services.BuildServiceProvider();
        _engine = _services.GetRequiredService<ExecutionEngine>();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private Workflow Load(string example) =>
        WorkflowLoader.LoadFile(Path.Combine(Root, example), registry: _services.GetRequiredService<ProviderRegistry>());

    [TestCaseSource(nameof(Examples))]
    public async Task Example_runs_to_completion_with_every_reference_resolved(string example)
    {
        var workflow = Load(example);

        var run = await _engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), () => string.Join("; ", run.Tasks.Values.Where(t => t.Error is not null).Select(t => $"{t.TaskId}: {t.Error}")));
        Assert.That(run.Tasks.Values.Select(t => t.Status), Is.All.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Tasks.Values.Select(t => (string?)t.Result!["response"]), Is.All.Not.Empty);
        var chats = _server.RequestsTo("/api/chat");
        Assert.That(chats, Has.Count.EqualTo(workflow.Tasks.Count));
        Assert.That(chats.SelectMany(r => r.Messages).Select(m => (string?)m["content"]), Has.None.Contains("${"));
    }

    [Test]
    public async Task Dependent_workflow_passes_each_answer_into_the_next_prompt()
    {
        _server.Reply(r => $"answer#{_server.RequestsTo("/api/chat").Count}");

        await _engine.RunAsync(Load("examples/dependent_workflow.yaml"));

        var prompts = _server.RequestsTo("/api/chat").Select(r => r.Prompt).ToList();
        Assert.That(prompts[1], Is.EqualTo("Create a 3-point outline for an essay about: answer#1"));
        Assert.That(prompts[2], Is.EqualTo("Write a short essay (2-3 paragraphs) based on this outline: answer#2"));
    }

    [Test]
    public async Task Text_file_workflow_sends_the_story_with_the_question()
    {
        var story = File.ReadAllText(Path.Combine(Root, "examples/documents/sample_story.txt")).Trim();
        _server.Reply("A short summary.");

        await _engine.RunAsync(Load("examples/text_file_workflow.yaml"));

        var withStory = _server.RequestsTo("/api/chat").Where(r => r.Prompt!.Contains(story, StringComparison.Ordinal)).ToList();
        Assert.That(withStory, Has.Count.EqualTo(3));
        Assert.That(withStory.Select(r => r.Prompt), Has.Some.StartsWith("Please summarize this story in 2-3 sentences."));
        Assert.That(_server.RequestsTo("/api/chat").Select(r => r.Prompt), Has.One.Contains("Based on this summary: A short summary."));
    }

    [Test]
    public async Task Vision_file_workflow_sends_the_png_base64_to_llava()
    {
        var png = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(Root, "examples/images/test_colors.png")));
        _server.Reply("red, green, blue and yellow squares", model: "llava");

        var run = await _engine.RunAsync(Load("examples/vision_file_workflow.yaml"));

        var vision = _server.RequestsTo("/api/chat").Single(r => r.Model == "llava:latest");
        Assert.That(vision.Images, Is.EqualTo(new[] { png }));
        Assert.That(_server.RequestsTo("/api/chat").Single(r => r.Prompt!.StartsWith("Based on", StringComparison.Ordinal)).Prompt,
            Does.Contain("'red, green, blue and yellow squares'"));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
    }

    [TestCase("examples/vision_workflow.yaml")]
    [TestCase("examples/mixed_vision_text_workflow.yaml")]
    public async Task Inline_base64_images_reach_the_vision_model_unchanged(string example)
    {
        var workflow = Load(example);
        var expected = (string?)workflow.Tasks[0].Parameters["images"]![0];

        await _engine.RunAsync(workflow);

        Assert.That(_server.RequestsTo("/api/chat").Single(r => r.Model == "llava:latest").Images, Is.EqualTo(new[] { expected }));
    }
}
