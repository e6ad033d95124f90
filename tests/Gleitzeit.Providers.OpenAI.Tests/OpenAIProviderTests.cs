using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;
using Gleitzeit.TestServers.OpenAI;

namespace Gleitzeit.Providers.OpenAI.Tests;

/// <summary>The OpenAI provider against the OpenAI-API test server (real HTTP on 127.0.0.1): what is sent, what comes back, every bad answer.</summary>
public sealed class OpenAIProviderTests
{
    private const string Key = "sk-test-key";
    private OpenAITestServer _server = null!;
    private OpenAIProvider _provider = null!;

    [SetUp]
    public async Task SetUp()
    {
        _server = await OpenAITestServer.StartAsync(apiKey: Key);
        _provider = new OpenAIProvider(new OpenAIOptions { Endpoint = _server.BaseUri, ApiKey = Key });
    }

    [TearDown]
    public async Task TearDown()
    {
        await _provider.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<JsonObject> InvokeAsync(JsonObject parameters, Action<TaskProgressUpdate>? progress = null, OpenAIProvider? provider = null)
    {
        var invocation = new TaskInvocation(new JsonRpcRequest("llm/chat", parameters, "t1"), "wf", "t1", 1, progress);
        return (await (provider ?? _provider).ExecuteAsync(invocation, CancellationToken.None))!.AsObject();
    }

    [Test]
    public async Task A_chat_streams_over_sse_with_the_bearer_key_and_reports_usage()
    {
        _server.Reply("The capital is Paris.");
        var tokens = new List<string>();

        var result = await InvokeAsync(new JsonObject { ["model"] = "gpt-4o-mini", ["prompt"] = "Capital of France?" },
            p => { if (p.Kind == TaskProgressKind.Token) tokens.Add(p.Text); });

        var sent = _server.ChatRequests.Single();
        Assert.That(sent.Authorization, Is.EqualTo("Bearer " + Key));
        Assert.That(sent.Stream, Is.True);
        Assert.That((string?)result["response"], Is.EqualTo("The capital is Paris."));
        Assert.That(tokens, Has.Count.GreaterThan(1), "the answer arrives in pieces");
        Assert.That(string.Concat(tokens), Is.EqualTo("The capital is Paris."));
        var usage = result["usage"]!.AsObject();
        Assert.That((int?)usage["prompt_tokens"], Is.EqualTo(3));
        Assert.That((int?)usage["completion_tokens"], Is.EqualTo(4));
        Assert.That((int?)usage["total_tokens"], Is.EqualTo(7));
    }

    [Test]
    public async Task Every_chat_option_is_sent_as_openai_names_it()
    {
        await InvokeAsync(new JsonObject
        {
            ["model"] = "gpt-4o",
            ["system"] = "Be brief.",
            ["prompt"] = "Hi",
            ["temperature"] = 0.5,
            ["max_tokens"] = 32,
            ["top_p"] = 0.9,
            ["stop"] = "END",
            ["seed"] = 7,
            ["frequency_penalty"] = 0.25,
            ["presence_penalty"] = 0.5,
        });

        var body = _server.ChatRequests.Single().Body!;
        Assert.That((string?)body["model"], Is.EqualTo("gpt-4o"));
        Assert.That((string?)body["messages"]![0]!["role"], Is.EqualTo("system"));
        Assert.That((double?)body["temperature"], Is.EqualTo(0.5).Within(1e-6));
        Assert.That((int?)(body["max_completion_tokens"] ?? body["max_tokens"]), Is.EqualTo(32));
        Assert.That((double?)body["top_p"], Is.EqualTo(0.9).Within(1e-6));
        Assert.That(body["stop"]!.ToJsonString(), Does.Contain("END"));
        Assert.That((int?)body["seed"], Is.EqualTo(7));
        Assert.That((double?)body["frequency_penalty"], Is.EqualTo(0.25).Within(1e-6));
        Assert.That((double?)body["presence_penalty"], Is.EqualTo(0.5).Within(1e-6));
    }

    [Test]
    public async Task A_json_schema_goes_out_as_response_format_and_the_answer_is_parsed()
    {
        var result = await InvokeAsync(new JsonObject
        {
            ["model"] = "gpt-4o-mini",
            ["prompt"] = "Pick a city",
            ["response_format"] = new JsonObject
            {
                ["type"] = "json_schema",
                ["name"] = "city",
                ["schema"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject { ["name"] = new JsonObject { ["type"] = "string" }, ["population"] = new JsonObject { ["type"] = "integer" } },
                    ["required"] = new JsonArray("name", "population"),
                },
            },
        });

        var format = _server.ChatRequests.Single().ResponseFormat!;
        Assert.That((string?)format["type"], Is.EqualTo("json_schema"));
        Assert.That((string?)format["json_schema"]!["name"], Is.EqualTo("city"));
        Assert.That((string?)result["result"]!["name"], Is.EqualTo("text"));
        Assert.That((int?)result["result"]!["population"], Is.EqualTo(1));
    }

    [Test]
    public async Task A_wrong_key_is_an_authentication_failure_that_names_the_fix_and_never_the_key()
    {
        await using var provider = new OpenAIProvider(new OpenAIOptions { Endpoint = _server.BaseUri, ApiKey = "sk-wrong-secret" });

        var ex = (await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync(new JsonObject { ["model"] = "gpt-4o-mini", ["prompt"] = "Hi" }, provider: provider)))!;

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.ProviderAuthenticationFailed));
        Assert.That(ex.IsRetryable, Is.False);
        Assert.That(ex.Message, Does.Contain("HTTP 401").And.Contain("authentication failed").And.Contain("Incorrect API key").And.Contain("OPENAI_API_KEY"));
        Assert.That(ex.Message, Does.Not.Contain("sk-wrong-secret"));
    }

    [Test]
    public async Task A_forbidden_model_is_an_authentication_failure_naming_the_permission()
    {
        _server.Fail(OpenAIFault.Forbidden(), times: 1);

        var ex = (await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync(new JsonObject { ["model"] = "gpt-4o", ["prompt"] = "Hi" })))!;

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.ProviderAuthenticationFailed));
        Assert.That(ex.Message, Does.Contain("HTTP 403").And.Contain("permission denied").And.Contain("not allowed to sample"));
    }

    [Test]
    public async Task Rate_limiting_is_retryable_and_carries_the_servers_retry_after()
    {
        _server.Fail(OpenAIFault.TooManyRequests(TimeSpan.FromSeconds(7)), times: 1);

        var ex = (await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync(new JsonObject { ["model"] = "gpt-4o-mini", ["prompt"] = "Hi" })))!;

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.ProviderRateLimited));
        Assert.That(ex.IsRetryable, Is.True);
        Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(7)));
        Assert.That(_server.ChatRequests, Has.Count.EqualTo(1), "the SDK's own retries are off: Gleitzeit's policy decides");
    }

    [Test]
    public async Task A_server_error_is_retryable_and_quotes_the_server()
    {
        _server.Fail(OpenAIFault.ServerError(), times: 1);

        var ex = (await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync(new JsonObject { ["model"] = "gpt-4o-mini", ["prompt"] = "Hi" })))!;

        Assert.That(ex.IsRetryable, Is.True);
        Assert.That(ex.Message, Does.Contain("HTTP 500").And.Contain("The server had an error"));
    }

    [Test]
    public async Task A_model_the_endpoint_does_not_serve_quotes_its_answer_with_the_fix()
    {
        var ex = (await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync(new JsonObject { ["model"] = "gpt-17", ["prompt"] = "Hi" })))!;

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.ModelNotFound));
        Assert.That(ex.Message, Does.Contain("model 'gpt-17'").And.Contain("The model `gpt-17` does not exist").And.Contain("provider health"));
    }

    [Test]
    public async Task Health_lists_the_models_and_reports_a_refused_key()
    {
        var healthy = await _provider.CheckHealthAsync(CancellationToken.None);
        await using var wrong = new OpenAIProvider(new OpenAIOptions { Endpoint = _server.BaseUri, ApiKey = "sk-nope" });
        var refused = await wrong.CheckHealthAsync(CancellationToken.None);

        Assert.That(healthy.Status, Is.EqualTo(ProviderHealthStatus.Healthy));
        Assert.That(healthy.Details!["models"]!.AsArray().Select(m => (string?)m), Is.EqualTo(new[] { "gpt-4o", "gpt-4o-mini" }));
        Assert.That((string?)healthy.Details["api_key"], Is.EqualTo("set"));
        Assert.That(refused.Status, Is.EqualTo(ProviderHealthStatus.Unhealthy));
        Assert.That((string?)refused.Details!["error_code"], Is.EqualTo("PROVIDER_AUTHENTICATION_FAILED"));
    }

    [Test]
    public void OpenAI_itself_without_a_key_is_refused_when_created_naming_where_the_key_goes()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OpenAIProvider(new OpenAIOptions { ApiKeyEnvironmentVariable = "GLEITZEIT_TEST_NO_SUCH_VARIABLE" }))!;

        Assert.That(ex.Message, Does.Contain("needs an API key").And.Contain("GLEITZEIT_TEST_NO_SUCH_VARIABLE"));
    }

    [Test]
    public async Task A_local_compatible_server_needs_no_key()
    {
        await using var open = await OpenAITestServer.StartAsync(apiKey: null);
        await using var provider = new OpenAIProvider(new OpenAIOptions { Endpoint = open.BaseUri, ApiKeyEnvironmentVariable = "GLEITZEIT_TEST_NO_SUCH_VARIABLE" });

        var result = await InvokeAsync(new JsonObject { ["model"] = "gpt-4o-mini", ["prompt"] = "ping" }, provider: provider);

        Assert.That((string?)result["response"], Is.EqualTo("ping"));
    }
}
