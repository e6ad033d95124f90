using System.Reflection;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.Mcp;
using Gleitzeit.TestServers.Ollama;
using Gleitzeit.TestServers.OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gleitzeit.Providers.OpenAI.Tests;

/// <summary>
/// Ollama and OpenAI side by side in one engine (both test servers over real HTTP), routing, middleware through the
/// ChatClientBuilder hook, IHttpClientFactory handlers, retries honouring Retry-After, and MCP tools from server-everything.
/// </summary>
public sealed class SeveralProvidersTests
{
    private const string Key = "sk-test-key";
    private OllamaTestServer _ollama = null!;
    private OpenAITestServer _openai = null!;
    private ServiceProvider? _services;

    [SetUp]
    public async Task SetUp()
    {
        _ollama = await OllamaTestServer.StartAsync();
        _openai = await OpenAITestServer.StartAsync(apiKey: Key);
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_services is not null) await _services.DisposeAsync();
        await _openai.DisposeAsync();
        await _ollama.DisposeAsync();
    }

    private ExecutionEngine Engine(Action<IGleitzeitBuilder>? more = null, Action<OpenAIOptions>? openai = null, Action<IServiceCollection>? services = null,
        TimeProvider? time = null, bool mcp = false)
    {
        var collection = new ServiceCollection();
        if (time is not null) collection.AddSingleton(time);
        services?.Invoke(collection);
        var builder = collection.AddGleitzeit(o => o.DefaultRetry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(1), Jitter = false })
            .AddOllama(o => o.Endpoint = _ollama.BaseUri)
            .AddOpenAI(o =>
            {
                o.Endpoint = _openai.BaseUri;
                o.ApiKey = Key;
                o.Models = ["gpt-*"];
                openai?.Invoke(o);
            });
        if (mcp) builder.AddMcp(o => o.Servers["everything"] = Everything());
        more?.Invoke(builder);
        _services = collection.BuildServiceProvider();
        return _services.GetRequiredService<ExecutionEngine>();
    }

    private Workflow Load(string yaml) => WorkflowLoader.Parse(yaml, null, _services!.GetRequiredService<ProviderRegistry>());

    [Test]
    public async Task Two_providers_serve_one_workflow_routed_by_model_pattern_and_by_name()
    {
        var engine = Engine();
        _openai.Reply("from openai");
        _ollama.Reply("from ollama");
        var workflow = Load("""
            name: mixed
            tasks:
              - id: local
                method: llm/chat
                params: { model: llama3.2, prompt: one }
              - id: hosted
                method: llm/chat
                params: { model: gpt-4o-mini, prompt: two }
              - id: named
                method: llm/chat
                provider: openai
                params: { prompt: three }
              - id: both
                dependencies: [local, hosted]
                method: llm/chat
                params: { model: gpt-4o, prompt: "${local.response} + ${hosted.response}" }
            """);

        var run = (await engine.RunAsync(workflow)).EnsureSucceeded();

        Assert.That((string?)run.GetResult("local")!["response"], Is.EqualTo("from ollama"));
        Assert.That((string?)run.GetResult("hosted")!["response"], Is.EqualTo("from openai"));
        Assert.That((string?)run.GetResult("named")!["model"], Is.EqualTo("gpt-4o-mini"), "the named provider's default model");
        Assert.That(_openai.ChatRequests.Select(r => r.Model), Is.EquivalentTo(new[] { "gpt-4o-mini", "gpt-4o-mini", "gpt-4o" }));
        Assert.That(_openai.ChatRequests.Single(r => r.Model == "gpt-4o").Prompt, Is.EqualTo("from ollama + from openai"));
        Assert.That(_ollama.RequestsTo("/api/chat").Select(r => r.Model), Is.EqualTo(new[] { "llama3.2" }));
        Assert.That(run.Usage.Total.Calls, Is.EqualTo(4));
        Assert.That(run.Usage.ByModel.Keys, Is.EquivalentTo(new[] { "llama3.2", "gpt-4o-mini", "gpt-4o" }));
        Assert.That(run.Usage.ByModel["gpt-4o-mini"].Calls, Is.EqualTo(2));
        Assert.That(run.Usage.Total.TotalTokens, Is.EqualTo(run.Usage.ByModel.Values.Sum(u => u.TotalTokens)));
    }

    [Test]
    public void A_model_no_provider_serves_is_a_validation_error_listing_providers_and_patterns()
    {
        // Both providers with patterns: no default is left for a model neither pattern matches.
        var collection = new ServiceCollection();
        collection.AddGleitzeit()
            .AddOllama(o => { o.Endpoint = _ollama.BaseUri; o.Models = ["llama*"]; })
            .AddOpenAI(o => { o.Endpoint = _openai.BaseUri; o.ApiKey = Key; o.Models = ["gpt-*"]; });
        _services = collection.BuildServiceProvider();

        var ex = Assert.Throws<WorkflowValidationException>(() => Load("""
            name: nobody
            tasks:
              - id: ask
                method: llm/chat
                params: { model: claude-3, prompt: Hi }
            """))!;

        Assert.That(ex.Message, Does.Contain("no LLM provider serves model 'claude-3'")
            .And.Contain("'ollama' (models llama*)").And.Contain("'openai' (models gpt-*)"));
    }

    [Test]
    public void A_provider_name_that_does_not_exist_lists_the_llm_providers()
    {
        Engine();

        var ex = Assert.Throws<WorkflowValidationException>(() => Load("""
            name: typo
            tasks:
              - id: ask
                method: llm/chat
                provider: opneai
                params: { prompt: Hi }
            """))!;

        Assert.That(ex.Message, Does.Contain("no LLM provider named 'opneai'").And.Contain("did you mean 'openai'?").And.Contain("'ollama' (any model: the default)"));
    }

    [Test]
    public async Task Middleware_added_through_the_hook_runs_a_cached_second_call_makes_no_http_request()
    {
        var engine = Engine(openai: o => o.ConfigureChatClient = b => b.UseDistributedCache(),
            services: s => s.AddDistributedMemoryCache());
        var workflow = new WorkflowBuilder("cached")
            .Chat("first", model: "gpt-4o-mini", prompt: "same question")
            .Chat("second", model: "gpt-4o-mini", prompt: "same question", dependsOn: ["first"])
            .Build();

        var run = (await engine.RunAsync(workflow)).EnsureSucceeded();

        Assert.That(_openai.ChatRequests, Has.Count.EqualTo(1), "the cache answered the second identical call");
        Assert.That((string?)run.GetResult("second")!["response"], Is.EqualTo((string?)run.GetResult("first")!["response"]));
    }

    [Test]
    public async Task The_http_client_comes_from_IHttpClientFactory_so_handlers_added_there_see_every_request()
    {
        var counter = new CountingHandler();
        var ollamaCounter = new CountingHandler();
        var collection = new ServiceCollection();
        collection.AddHttpClient("gleitzeit.llm.openai").AddHttpMessageHandler(() => counter);
        collection.AddHttpClient("gleitzeit.llm.ollama").AddHttpMessageHandler(() => ollamaCounter);
        collection.AddGleitzeit()
            .AddOllama(o => o.Endpoint = _ollama.BaseUri)
            .AddOpenAI(o => { o.Endpoint = _openai.BaseUri; o.ApiKey = Key; o.Models = ["gpt-*"]; });
        _services = collection.BuildServiceProvider();
        var engine = _services.GetRequiredService<ExecutionEngine>();
        var workflow = new WorkflowBuilder("factory").Chat("a", model: "gpt-4o", prompt: "x").Chat("b", model: "llama3.2", prompt: "y").Build();

        (await engine.RunAsync(workflow)).EnsureSucceeded();

        Assert.That(counter.Paths, Is.EqualTo(new[] { "/v1/chat/completions" }));
        Assert.That(ollamaCounter.Paths, Is.EqualTo(new[] { "/api/chat" }));
    }

    [Test]
    public async Task A_rate_limited_call_is_retried_after_the_servers_retry_after()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _openai.Fail(OpenAIFault.TooManyRequests(TimeSpan.FromSeconds(3)), times: 1);
        var engine = Engine(time: time);
        var retrying = new TaskCompletionSource<TaskRetrying>(TaskCreationOptions.RunContinuationsAsynchronously);
        var workflow = new WorkflowBuilder("limited").Chat("ask", model: "gpt-4o-mini", prompt: "hello").Build();

        var id = await engine.SubmitAsync(workflow, new RunOptions { OnEvent = e => { if (e is TaskRetrying r) retrying.TrySetResult(r); } });
        var retry = await retrying.Task.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(3));
        var run = await engine.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(retry.Delay, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(retry.Error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderRateLimited));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(_openai.ChatRequests, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_tool_calling_round_trip_over_openai_calls_the_real_mcp_tool_and_records_it()
    {
        _openai.CallTools(r => r.ToolResults.Count == 0 ? [new OpenAIToolCall("get-sum", new JsonObject { ["a"] = 2, ["b"] = 3 })] : null);
        _openai.Reply(r => "Done: " + r.ToolResults.LastOrDefault());
        var engine = Engine(mcp: true);
        var progress = new List<TaskProgress>();
        var workflow = Load("""
            name: agent
            tasks:
              - id: agent
                method: llm/chat
                params:
                  model: gpt-4o-mini
                  prompt: What is 2 + 3?
                  tools: [mcp:everything/get-sum]
                  tool_choice: auto
            """);

        var id = await engine.SubmitAsync(workflow, new RunOptions { OnEvent = e => { if (e is TaskProgress { Kind: TaskProgressKind.ToolCall } p) lock (progress) progress.Add(p); } });
        var run = (await engine.WaitAsync(id)).EnsureSucceeded();

        var result = run.GetResult("agent")!;
        Assert.That((string?)result["response"], Is.EqualTo("Done: The sum of 2 and 3 is 5."));
        var call = result["tool_calls"]!.AsArray().Single()!;
        Assert.That((string?)call["tool"], Is.EqualTo("get-sum"));
        Assert.That(call["arguments"]!.ToJsonString(), Is.EqualTo("""{"a":2,"b":3}"""));
        Assert.That((string?)call["result"], Is.EqualTo("The sum of 2 and 3 is 5."));
        Assert.That((double?)call["duration_ms"], Is.GreaterThanOrEqualTo(0));
        var first = _openai.ChatRequests[0].Body!;
        Assert.That(first["tools"]!.AsArray().Select(t => (string?)t!["function"]!["name"]), Is.EqualTo(new[] { "get-sum" }));
        Assert.That((string?)first["tool_choice"], Is.EqualTo("auto"));
        Assert.That(progress.Single().Text, Does.Contain("\"tool\":\"get-sum\"").And.Contain("\"duration_ms\""));
        Assert.That((int?)result["usage"]!["total_tokens"], Is.GreaterThan(0));
    }

    [Test]
    public async Task Over_ollama_a_tool_error_goes_back_to_the_model_and_is_recorded()
    {
        _ollama.CallTools(r => r.ToolResults.Count switch
        {
            0 => [new OllamaToolCall("get-sum", new JsonObject { ["a"] = "two", ["b"] = 3 })],
            1 => [new OllamaToolCall("echo", new JsonObject { ["message"] = "recovered" })],
            _ => null,
        });
        _ollama.Reply(r => "after " + r.ToolResults.Count + " calls: " + r.ToolResults.Last());
        var engine = Engine(mcp: true);
        var workflow = Load("""
            name: agent
            tasks:
              - id: agent
                method: llm/chat
                params: { model: llama3.2, prompt: add, tools: [mcp:everything], max_tool_calls: 5 }
            """);

        var run = (await engine.RunAsync(workflow)).EnsureSucceeded();

        var result = run.GetResult("agent")!;
        var calls = result["tool_calls"]!.AsArray();
        Assert.That(calls.Select(c => (string?)c!["tool"]), Is.EqualTo(new[] { "get-sum", "echo" }));
        Assert.That(calls[0]!["error"], Is.Not.Null, "the failing call is recorded with its error");
        Assert.That((string?)result["response"], Does.StartWith("after 2 calls:").And.Contain("recovered"));
        var secondRequest = _ollama.RequestsTo("/api/chat")[1];
        Assert.That(secondRequest.ToolResults.Single(), Does.Contain("rror"), "the model was told the tool failed");
    }

    [Test]
    public async Task A_model_that_keeps_calling_tools_fails_with_the_count_and_the_last_call()
    {
        var n = 0;
        _ollama.CallTools(_ => [new OllamaToolCall("echo", new JsonObject { ["message"] = "again " + Interlocked.Increment(ref n) })]);
        var engine = Engine(mcp: true);
        var workflow = Load("""
            name: loop
            tasks:
              - id: agent
                method: llm/chat
                params: { model: llama3.2, prompt: loop, tools: [mcp:everything/echo], max_tool_calls: 2 }
            """);

        var run = await engine.RunAsync(workflow);

        var error = run.Tasks["agent"].Error!;
        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.LlmToolCallsExceeded));
        Assert.That(error.Message, Does.Contain("tool call number 3").And.Contain("max_tool_calls (2)").And.Contain("echo({\"message\":\"again 3\"})"));
        Assert.That(run.Tasks["agent"].Attempts, Is.EqualTo(1), "not retried");
    }

    [Test]
    public void Tools_naming_a_server_that_does_not_exist_are_a_validation_error_listing_the_servers()
    {
        Engine(mcp: true);

        var ex = Assert.Throws<WorkflowValidationException>(() => Load("""
            name: bad
            tasks:
              - id: agent
                method: llm/chat
                params: { model: llama3.2, prompt: x, tools: [mcp:everythin, notatool] }
            """))!;

        Assert.That(ex.Message, Does.Contain("tools[0]").And.Contain("no mcp server 'everythin'").And.Contain("did you mean 'everything'?").And.Contain("configured servers: everything"));
        Assert.That(ex.Message, Does.Contain("tools[1]").And.Contain("'notatool' is not a tool name"));
    }

    [Test]
    public async Task Tools_naming_a_tool_the_server_lacks_fail_listing_its_tools()
    {
        var engine = Engine(mcp: true);
        var workflow = Load("""
            name: bad
            tasks:
              - id: agent
                method: llm/chat
                params: { model: llama3.2, prompt: x, tools: [mcp:everything/get-summ] }
            """);

        var run = await engine.RunAsync(workflow);

        var error = run.Tasks["agent"].Error!;
        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.Message, Does.Contain("has no tool 'get-summ'").And.Contain("did you mean 'get-sum'?").And.Contain("echo"));
        Assert.That(_ollama.RequestsTo("/api/chat"), Is.Empty, "nothing was asked of the model");
    }

    private static McpServerOptions Everything()
    {
        var root = typeof(SeveralProvidersTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
        var script = Path.Combine(root, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
        if (!File.Exists(script)) Assert.Fail($"{script} is missing: run `npm ci` in the repository root.");
        return new McpServerOptions { Command = "node", Arguments = [script, "stdio"] };
    }

    private sealed class CountingHandler : DelegatingHandler
    {
        private readonly List<string> _paths = [];

        public IReadOnlyList<string> Paths
        {
            get
            {
                lock (_paths) return _paths.ToList();
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_paths) _paths.Add(request.RequestUri!.AbsolutePath);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
