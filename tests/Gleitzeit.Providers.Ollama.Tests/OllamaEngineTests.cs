using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.TestServers.Ollama;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gleitzeit.Providers.Ollama.Tests;

/// <summary>LLM tasks run by the ExecutionEngine with AddOllama(): substitution, streaming events, retries.</summary>
public sealed class OllamaEngineTests
{
    private OllamaTestServer _server = null!;
    private ServiceProvider? _services;

    [SetUp]
    public async Task SetUp() => _server = await OllamaTestServer.StartAsync();

    [TearDown]
    public async Task TearDown()
    {
        if (_services is not null) await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private ExecutionEngine Engine(TimeProvider? time = null, Action<OllamaOptions>? configure = null)
    {
        var services = new ServiceCollection();
        if (time is not null) services.AddSingleton(time);
        services.AddGleitzeit(o => o.DefaultRetry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(1), Jitter = false })
            .AddOllama(o =>
            {
                o.Endpoint = _server.BaseUri;
                configure?.Invoke(o);
            });
        _services = services.BuildServiceProvider();
        return _services.GetRequiredService<ExecutionEngine>();
    }

    [Test]
    public async Task AddOllama_registers_llm_v1_with_the_concurrency_bound()
    {
        Engine(configure: o => o.MaxConcurrency = 2);

        var registration = _services!.GetRequiredService<ProviderRegistry>().Resolve("llm/v1", "llm/chat").Registration;

        Assert.That(registration.Id, Is.EqualTo("ollama"));
        Assert.That(registration.MaxConcurrency, Is.EqualTo(2));
        Assert.That(registration.Provider, Is.InstanceOf<OllamaProvider>());
    }

    [Test]
    public void Invalid_options_fail_at_start_with_a_clear_message()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddOllama(o =>
        {
            o.Endpoint = new Uri("ftp://example.org");
            o.MaxConcurrency = 0;
        });
        _services = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => _services.GetRequiredService<IStartupValidator>().Validate());

        Assert.That(ex!.Message, Does.Contain("OllamaOptions.Endpoint").And.Contain("OllamaOptions.MaxConcurrency"));
    }

    [Test]
    public async Task A_reference_carries_one_answer_into_the_next_prompt()
    {
        _server.Reply(r => r.Prompt!.StartsWith("Pick", StringComparison.Ordinal) ? "Quantum \"computing\"" : "essay about " + r.Prompt);
        var engine = Engine();
        var workflow = new WorkflowBuilder("chain")
            .Chat("topic", model: "llama3.2", prompt: "Pick a topic")
            .Chat("essay", model: "llama3.2", prompt: "Write about ${topic.response} now", dependsOn: ["topic"])
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        var prompts = _server.RequestsTo("/api/chat").Select(r => r.Prompt).ToList();
        Assert.That(prompts, Is.EqualTo(new[] { "Pick a topic", "Write about Quantum \"computing\" now" }));
        Assert.That((string?)run.GetResult("essay")!["content"], Is.EqualTo("essay about Write about Quantum \"computing\" now"));
    }

    [Test]
    public async Task Tokens_stream_as_progress_events_and_only_the_final_result_is_stored()
    {
        _server.Reply("alpha beta gamma delta");
        var engine = Engine();
        var events = new List<WorkflowEvent>();
        var workflow = new WorkflowBuilder("stream").Chat("talk", prompt: "go").Build();

        var run = await engine.RunAsync(workflow, new RunOptions { OnEvent = e => { lock (events) events.Add(e); } });

        List<TaskProgress> progress;
        lock (events) progress = events.OfType<TaskProgress>().ToList();
        Assert.That(progress.Select(p => p.Text), Is.EqualTo(new[] { "alpha ", "beta ", "gamma ", "delta" }));
        Assert.That(progress.Select(p => p.Kind), Is.All.EqualTo(TaskProgressKind.Token));
        var stored = (await engine.Store.GetRunAsync(run.WorkflowId))!.Tasks["talk"].Result!.AsObject();
        Assert.That(stored.Select(p => p.Key), Is.EquivalentTo(new[] { "response", "content", "model", "done", "prompt_tokens", "completion_tokens", "usage", "duration_ms" }));
        Assert.That((string?)stored["response"], Is.EqualTo("alpha beta gamma delta"));
    }

    [Test]
    public async Task Overloaded_server_is_retried_after_the_retry_after_it_sent()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _server.Fail(OllamaFault.ServiceUnavailable(TimeSpan.FromSeconds(4)), times: 1);
        var engine = Engine(time);
        var retrying = new TaskCompletionSource<TaskRetrying>(TaskCreationOptions.RunContinuationsAsynchronously);
        var workflow = new WorkflowBuilder("busy").Chat("ask", prompt: "hello").Build();

        var id = await engine.SubmitAsync(workflow, new RunOptions { OnEvent = e => { if (e is TaskRetrying r) retrying.TrySetResult(r); } });
        var retry = await retrying.Task.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(4));
        var run = await engine.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(retry.Delay, Is.EqualTo(TimeSpan.FromSeconds(4)));
        Assert.That(retry.Error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderOverloaded));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["ask"].Attempts, Is.EqualTo(2));
        Assert.That(_server.RequestsTo("/api/chat"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_stream_cut_midway_is_retried_and_the_retry_completes()
    {
        _server.Reply("one two three four five");
        _server.Fail(OllamaFault.DropMidStream(afterChunks: 2), times: 1);
        var engine = Engine();
        var workflow = new WorkflowBuilder("cut").Chat("ask", prompt: "count").Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["ask"].Attempts, Is.EqualTo(2));
        Assert.That((string?)run.GetResult("ask")!["response"], Is.EqualTo("one two three four five"));
    }

    [Test]
    public async Task Rate_limiting_that_never_ends_exhausts_the_retries()
    {
        _server.Fail(OllamaFault.TooManyRequests(TimeSpan.Zero));
        var engine = Engine();
        var workflow = new WorkflowBuilder("limited").Chat("ask", prompt: "x").Chat("next", prompt: "${ask.response}", dependsOn: ["ask"]).Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["ask"].Attempts, Is.EqualTo(3));
        Assert.That(run.Tasks["ask"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskRetriesExhausted));
        Assert.That(run.Tasks["ask"].Error!.Message, Does.Contain("PROVIDER_RATE_LIMITED"));
        Assert.That(run.Tasks["next"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
    }

    [Test]
    public async Task A_missing_model_fails_at_once_without_retries()
    {
        var engine = Engine();
        var workflow = new WorkflowBuilder("missing").Chat("ask", model: "qwen2.5:14b", prompt: "x").Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Tasks["ask"].Attempts, Is.EqualTo(1));
        Assert.That(run.Tasks["ask"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.ModelNotFound));
        Assert.That(run.Tasks["ask"].Error!.Message, Does.Contain("ollama pull qwen2.5:14b"));
    }

    [Test]
    public async Task Builder_methods_produce_parameters_the_provider_understands()
    {
        var engine = Engine();
        var png = Convert.ToBase64String(Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="));
        var workflow = new WorkflowBuilder("all")
            .Chat("c", prompt: "hi", system: "sys", temperature: 0.5, maxTokens: 10)
            .Generate("g", prompt: "complete")
            .Vision("v", prompt: "see", images: [png])
            .Embed("e", inputs: ["a", "b"])
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), () => string.Join("; ", run.Tasks.Values.Select(t => t.Error?.ToString())));
        Assert.That((string?)run.GetResult("g")!["text"], Is.EqualTo("complete"));
        Assert.That(run.GetResult("e")!["embeddings"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That(_server.RequestsTo("/api/chat").Single(r => r.Model == "llava:latest").Images, Is.EqualTo(new[] { png }));
    }

    [Test]
    public async Task Keep_alive_is_sent_with_every_inference_request()
    {
        var engine = Engine(configure: o => o.KeepAlive = TimeSpan.FromMinutes(30));
        var workflow = new WorkflowBuilder("warm").Chat("c", prompt: "x").Embed("e", input: "y").Build();

        await engine.RunAsync(workflow);

        Assert.That(_server.Requests.Where(r => r.Path != "/api/version").Select(r => (string?)r.Body!["keep_alive"]), Is.All.EqualTo("1800s"));
    }
}
