using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;
using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Providers.Ollama.Tests;

/// <summary>Every failure a user meets with Ollama becomes a classified error that says how to fix it.</summary>
public sealed class OllamaFaultTests : OllamaTestContext
{
    private static JsonObject Ask() => new() { ["prompt"] = "one two three four five" };

    [Test]
    public async Task Connection_refused_is_provider_not_available_asking_whether_ollama_serve_runs()
    {
        var port = FreePort();
        await using var provider = new OllamaProvider(new OllamaOptions { Endpoint = new Uri($"http://127.0.0.1:{port}") });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", Ask(), provider: provider));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotAvailable));
        Assert.That(ex.Message, Does.Contain("is `ollama serve` running at").And.Contain($"127.0.0.1:{port}"));
        Assert.That(ex.IsRetryable, Is.True);
    }

    [Test]
    public async Task Unknown_model_is_model_not_found_with_the_pull_command()
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", new JsonObject { ["model"] = "mistral:7b", ["prompt"] = "hi" }));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ModelNotFound));
        Assert.That(ex.Message, Does.Contain("'mistral:7b'").And.Contain("ollama pull mistral:7b"));
        Assert.That(ex.IsRetryable, Is.False);
    }

    [Test]
    public async Task Unknown_embedding_model_is_model_not_found_too()
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/embed", new JsonObject { ["model"] = "mxbai-embed-large", ["input"] = "x" }));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ModelNotFound));
        Assert.That(ex.Message, Does.Contain("ollama pull mxbai-embed-large"));
    }

    [Test]
    public async Task Too_many_requests_is_rate_limited_and_carries_retry_after()
    {
        Server.Fail(OllamaFault.TooManyRequests(TimeSpan.FromSeconds(7)));

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", Ask()));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderRateLimited));
        Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(7)));
        Assert.That(ex.IsRetryable, Is.True);
    }

    [Test]
    public async Task Service_unavailable_is_overloaded_and_carries_retry_after()
    {
        Server.Fail(OllamaFault.ServiceUnavailable(TimeSpan.FromSeconds(2)));

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/generate", Ask()));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderOverloaded));
        Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(ex.IsRetryable, Is.True);
    }

    [Test]
    public async Task Server_error_shows_ollamas_message_and_is_not_retried()
    {
        Server.Fail(OllamaFault.ServerError("model requires more system memory (5.2 GiB) than is available (3.1 GiB)"));

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", Ask()));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderError));
        Assert.That(ex.Message, Does.Contain("HTTP 500").And.Contain("more system memory"));
        Assert.That(ex.IsRetryable, Is.False);
    }

    [Test]
    public async Task Unauthorized_is_authentication_failed_with_the_servers_message_not_a_hint_to_start_ollama()
    {
        // A proxy that wants credentials refuses every request, the health check's too.
        Server.Fail(OllamaFault.Unauthorized("missing bearer token"), _ => true);

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", Ask()));
        var health = await Provider.CheckHealthAsync(CancellationToken.None);

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderAuthenticationFailed));
        Assert.That(ex.Message, Does.Contain("HTTP 401").And.Contain("missing bearer token").And.Not.Contain("ollama serve"));
        Assert.That(ex.IsRetryable, Is.False);
        Assert.That(health.Status, Is.EqualTo(ProviderHealthStatus.Unhealthy));
        Assert.That((string?)health.Details?["error_code"], Is.EqualTo("PROVIDER_AUTHENTICATION_FAILED"));
    }

    [Test]
    public async Task A_hanging_server_is_a_provider_timeout_after_the_request_timeout()
    {
        Server.Fail(OllamaFault.Hang());
        await using var provider = new OllamaProvider(new OllamaOptions { Endpoint = Server.BaseUri, RequestTimeout = TimeSpan.FromMilliseconds(300) });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", Ask(), provider: provider));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderTimeout));
        Assert.That(ex.Message, Does.Contain("OllamaOptions.RequestTimeout"));
        Assert.That(ex.IsRetryable, Is.True);
    }

    [Test]
    public async Task Malformed_json_is_an_invalid_response_not_a_json_exception()
    {
        Server.Fail(OllamaFault.MalformedJson());

        var streamed = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", Ask()));
        var embedded = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/embed", new JsonObject { ["input"] = "x" }));

        Assert.That(streamed!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderInvalidResponse));
        Assert.That(embedded!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderInvalidResponse));
        Assert.That(streamed.Message, Does.Not.Contain("LineNumber").And.Contain("not valid"));
    }

    [Test]
    public async Task A_stream_cut_midway_is_connection_lost_and_retryable()
    {
        Server.Fail(OllamaFault.DropMidStream(afterChunks: 2));
        var tokens = new List<string>();

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", Ask(), u => tokens.Add(u.Text)));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.NetworkConnectionLost));
        Assert.That(ex.IsRetryable, Is.True);
        Assert.That(tokens, Is.EqualTo(new[] { "one ", "two " }));
    }

    [Test]
    public async Task A_stream_that_ends_without_its_final_chunk_is_connection_lost_not_half_an_answer()
    {
        Server.Fail(OllamaFault.TruncatedStream(afterChunks: 2));

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", Ask()));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.NetworkConnectionLost));
        Assert.That(ex.Message, Does.Contain("without its final chunk"));
    }

    [Test]
    public async Task Cancellation_is_not_turned_into_an_error()
    {
        Server.Fail(OllamaFault.Hang());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var invocation = new Gleitzeit.Core.Protocol.TaskInvocation(new Gleitzeit.Core.Protocol.JsonRpcRequest("llm/chat", Ask()), "wf", "t");

        Assert.That(async () => await Provider.ExecuteAsync(invocation, cts.Token), Throws.InstanceOf<OperationCanceledException>());
        await Task.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
