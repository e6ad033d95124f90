using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Providers.Ollama.Tests;

/// <summary>The §15 chat parameters, structured output and usage, end to end against the Ollama-API test server.</summary>
public sealed class LlmOptionsAndOutputTests : OllamaTestContext
{
    private ServiceProvider? _services;

    [TearDown]
    public async Task DisposeServicesAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
    }

    private ExecutionEngine Engine()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit(o => o.DefaultRetry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(1), Jitter = false })
            .AddOllama(o => o.Endpoint = Server.BaseUri);
        _services = services.BuildServiceProvider();
        return _services.GetRequiredService<ExecutionEngine>();
    }

    private Workflow Load(string yaml) => WorkflowLoader.Parse(yaml, WorkDirectory, _services!.GetRequiredService<Gleitzeit.Core.Protocol.ProviderRegistry>());

    [Test]
    public async Task Every_sampling_parameter_and_the_provider_extras_reach_ollama()
    {
        await InvokeAsync("llm/chat", new JsonObject
        {
            ["model"] = "llama3.2",
            ["prompt"] = "Hi",
            ["temperature"] = 0.5,
            ["max_tokens"] = 32,
            ["top_p"] = 0.9,
            ["top_k"] = 40,
            ["stop"] = new JsonArray("END", "STOP"),
            ["seed"] = 42,
            ["frequency_penalty"] = 0.25,
            ["presence_penalty"] = 0.75,
            ["options"] = new JsonObject { ["num_ctx"] = 8192 },
        });

        var options = Server.RequestsTo("/api/chat").Single().Options!;
        Assert.That((double?)options["temperature"], Is.EqualTo(0.5).Within(1e-6));
        Assert.That((int?)options["num_predict"], Is.EqualTo(32));
        Assert.That((double?)options["top_p"], Is.EqualTo(0.9).Within(1e-6));
        Assert.That((int?)options["top_k"], Is.EqualTo(40));
        Assert.That(options["stop"]!.AsArray().Select(s => (string?)s), Is.EqualTo(new[] { "END", "STOP" }));
        Assert.That((int?)options["seed"], Is.EqualTo(42));
        Assert.That((double?)options["frequency_penalty"], Is.EqualTo(0.25).Within(1e-6));
        Assert.That((double?)options["presence_penalty"], Is.EqualTo(0.75).Within(1e-6));
        Assert.That((int?)options["num_ctx"], Is.EqualTo(8192));
    }

    [Test]
    public async Task Every_result_carries_usage()
    {
        Server.Reply("one two three");

        var result = await InvokeAsync("llm/chat", new JsonObject { ["model"] = "llama3.2", ["prompt"] = "count to three please" });

        var usage = result["usage"]!.AsObject();
        Assert.That((int?)usage["prompt_tokens"], Is.EqualTo(4));
        Assert.That((int?)usage["completion_tokens"], Is.EqualTo(3));
        Assert.That((int?)usage["total_tokens"], Is.EqualTo(7));
    }

    [Test]
    public async Task A_json_schema_is_sent_as_ollama_format_and_the_answer_is_parsed_into_result()
    {
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["items"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } } },
            ["required"] = new JsonArray("items"),
        };

        var result = await InvokeAsync("llm/chat", new JsonObject
        {
            ["model"] = "llama3.2",
            ["prompt"] = "List topics",
            ["response_format"] = new JsonObject { ["type"] = "json_schema", ["schema"] = schema.DeepClone(), ["name"] = "topics" },
        });

        var format = Server.RequestsTo("/api/chat").Single().Format;
        Assert.That(format, Is.InstanceOf<JsonObject>());
        Assert.That(format!["properties"]!["items"]!["type"]!.GetValue<string>(), Is.EqualTo("array"));
        Assert.That(result["result"]!["items"]!.AsArray().Select(i => (string?)i), Is.EqualTo(new[] { "text" }));
    }

    [Test]
    public async Task Structured_output_is_typed_downstream_and_usage_sums_over_the_run()
    {
        var engine = Engine();
        Server.Reply("""{"count": 3, "names": ["a", "b", "c"]}""", model: "llama3.2");
        var workflow = Load("""
            name: typed
            tasks:
              - id: plan
                method: llm/chat
                params:
                  model: llama3.2
                  prompt: Give three names
                  response_format:
                    type: json_schema
                    name: plan
                    schema:
                      type: object
                      properties:
                        count: { type: integer }
                        names: { type: array, items: { type: string } }
                      required: [count, names]
              - id: use
                dependencies: [plan]
                method: llm/chat
                params:
                  model: llama3.2
                  prompt: "Names: ${plan.result.names}"
                  max_tokens: "${plan.result.count}"
            """);

        var run = (await engine.RunAsync(workflow)).EnsureSucceeded();

        Assert.That((int?)run.GetResult("plan")!["result"]!["count"], Is.EqualTo(3));
        var second = Server.RequestsTo("/api/chat").Last();
        Assert.That((int?)second.Options!["num_predict"], Is.EqualTo(3), "a whole-string reference keeps the number type");
        Assert.That(second.Prompt, Is.EqualTo("""Names: ["a","b","c"]"""));
        var usage = run.Usage;
        var plan = run.GetResult("plan")!["usage"]!;
        var use = run.GetResult("use")!["usage"]!;
        Assert.That(usage.Total.TotalTokens, Is.EqualTo((int)plan["total_tokens"]! + (int)use["total_tokens"]!));
        Assert.That(usage.Total.Calls, Is.EqualTo(2));
        Assert.That(usage.ByModel["llama3.2"].Calls, Is.EqualTo(2));
    }

    [Test]
    public async Task An_answer_that_does_not_match_the_schema_is_retried_and_the_retry_can_succeed()
    {
        var engine = Engine();
        var calls = 0;
        Server.Reply(_ => Interlocked.Increment(ref calls) == 1 ? """{"count": "three"}""" : """{"count": 3}""");
        var workflow = Load("""
            name: retried
            tasks:
              - id: plan
                method: llm/chat
                retry: { max_attempts: 3, delay: 0.001 }
                params:
                  model: llama3.2
                  prompt: How many?
                  response_format: { type: json_schema, schema: { type: object, properties: { count: { type: integer } }, required: [count] } }
            """);
        var events = new List<string>();

        // Events are taken from the start (OnEvent), not by watching after submitting: the retry may come before a watch.
        var run = (await engine.RunAsync(workflow, new RunOptions { OnEvent = e => { if (e is TaskRetrying r) lock (events) events.Add(r.Error.Message); } })).EnsureSucceeded();

        Assert.That(run.Tasks["plan"].Attempts, Is.EqualTo(2));
        Assert.That(events.Single(), Does.Contain("does not match the schema").And.Contain("/count"));
        Assert.That((int?)run.GetResult("plan")!["result"]!["count"], Is.EqualTo(3));
    }

    [Test]
    public async Task An_answer_that_is_not_json_fails_retryably_quoting_it()
    {
        Server.Reply("Sure! Here you go: count is 3");

        var ex = (await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat",
            new JsonObject { ["model"] = "llama3.2", ["prompt"] = "count", ["response_format"] = "json" })))!;

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.LlmOutputInvalid));
        Assert.That(ex.IsRetryable, Is.True);
        Assert.That(ex.Message, Does.Contain("not valid JSON").And.Contain("Sure! Here you go"));
        Assert.That((string?)Server.RequestsTo("/api/chat").Single().Format, Is.EqualTo("json"));
    }

    [Test]
    public void A_misspelled_parameter_is_a_located_validation_error_naming_the_nearest_known_one()
    {
        Engine();

        var ex = Assert.Throws<WorkflowValidationException>(() => Load("""
            name: typo
            tasks:
              - id: ask
                method: llm/chat
                params:
                  model: llama3.2
                  prompt: Hi
                  temprature: 0.2
            """))!;

        var error = ex.Errors.Single();
        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.Message, Does.Contain("unknown parameter 'temprature'").And.Contain("did you mean 'temperature'?"));
        Assert.That(ex.Message, Does.Contain("- 8:19:"), "the error points at the misspelled parameter");
    }

    [Test]
    public void A_schema_that_is_not_json_schema_is_a_located_validation_error()
    {
        Engine();

        var ex = Assert.Throws<WorkflowValidationException>(() => Load("""
            name: badschema
            tasks:
              - id: ask
                method: llm/chat
                params:
                  model: llama3.2
                  prompt: Hi
                  response_format:
                    type: json_schema
                    schema: { type: objekt, properties: { a: { type: string } } }
            """))!;

        var error = ex.Errors.Single();
        Assert.That(error.Message, Does.Contain("response_format").And.Contain("not a valid JSON Schema"));
        Assert.That(ex.Message, Does.Contain("- 10:"), "the error points at the schema");
    }

    [Test]
    public void Bad_tool_choice_and_response_format_values_are_refused_before_anything_runs()
    {
        Engine();

        var ex = Assert.Throws<WorkflowValidationException>(() => Load("""
            name: bad
            tasks:
              - id: ask
                method: llm/chat
                params: { model: llama3.2, prompt: Hi, tool_choice: sometimes, response_format: yaml, max_tool_calls: 0 }
            """))!;

        Assert.That(ex.Errors.Select(e => e.Message), Has.Some.Contains("tool_choice must be one of auto, none, required"));
        Assert.That(ex.Errors.Select(e => e.Message), Has.Some.Contains("response_format"));
        Assert.That(ex.Errors.Select(e => e.Message), Has.Some.Contains("max_tool_calls must be at least 1"));
    }
}
