using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Providers.Ollama.Tests;

/// <summary>llm/v1 served by any IChatClient (AddLlm): the Core half, without Ollama.</summary>
public sealed class CustomChatClientTests
{
    private static TaskInvocation Chat(string prompt = "hi") => new(new JsonRpcRequest("llm/chat", new JsonObject { ["prompt"] = prompt, ["model"] = "m" }), "wf", "t");

    [Test]
    public async Task AddLlm_serves_llm_chat_through_the_engine_with_a_custom_client()
    {
        var client = new RecordingChatClient();
        var services = new ServiceCollection();
        services.AddGleitzeit().AddLlm(client, configure: o => o.DefaultModel = "my-model", maxConcurrency: 3);
        await using var sp = services.BuildServiceProvider();
        var engine = sp.GetRequiredService<ExecutionEngine>();

        var run = await engine.RunAsync(new WorkflowBuilder("custom").Chat("a", prompt: "hello").Build());

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)run.GetResult("a")!["response"], Is.EqualTo("ok"));
        Assert.That(client.LastOptions!.ModelId, Is.EqualTo("my-model"));
        Assert.That(sp.GetRequiredService<ProviderRegistry>().Providers.Single(p => p.Provider is not Gleitzeit.Core.Human.HumanProvider).MaxConcurrency, Is.EqualTo(3));
    }

    [Test]
    public void Without_an_embedding_generator_llm_embed_is_not_offered()
    {
        var provider = new LlmProvider(new RecordingChatClient());

        Assert.That(provider.Protocol.Methods.Select(m => m.Name), Is.EquivalentTo(new[] { "llm/chat", "llm/generate", "llm/vision" }));
    }

    [Test]
    public async Task Without_any_model_the_error_says_where_to_set_one()
    {
        var provider = new LlmProvider(new RecordingChatClient());
        var invocation = new TaskInvocation(new JsonRpcRequest("llm/chat", new JsonObject { ["prompt"] = "x" }), "wf", "t");

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.ExecuteAsync(invocation, CancellationToken.None));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain("'model'").And.Contain("LlmOptions.DefaultModel"));
    }

    [TestCase(HttpStatusCode.TooManyRequests, GleitzeitErrorCode.ProviderRateLimited)]
    [TestCase(HttpStatusCode.ServiceUnavailable, GleitzeitErrorCode.ProviderOverloaded)]
    [TestCase(HttpStatusCode.NotFound, GleitzeitErrorCode.ModelNotFound)]
    [TestCase(HttpStatusCode.Unauthorized, GleitzeitErrorCode.ProviderAuthenticationFailed)]
    [TestCase(HttpStatusCode.InternalServerError, GleitzeitErrorCode.ProviderError)]
    public async Task Http_failures_of_any_client_are_classified(HttpStatusCode status, GleitzeitErrorCode expected)
    {
        var provider = new LlmProvider(new ThrowingChatClient(new HttpRequestException("boom", null, status)));

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.ExecuteAsync(Chat(), CancellationToken.None));

        Assert.That(ex!.Code, Is.EqualTo(expected));
    }

    [Test]
    public async Task A_json_exception_becomes_an_invalid_response()
    {
        var provider = new LlmProvider(new ThrowingChatClient(new JsonException("'x' is an invalid start of a value")));

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.ExecuteAsync(Chat(), CancellationToken.None));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderInvalidResponse));
    }

    [Test]
    public async Task A_client_timeout_that_is_not_our_cancellation_becomes_a_provider_timeout()
    {
        var provider = new LlmProvider(new ThrowingChatClient(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout")));

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.ExecuteAsync(Chat(), CancellationToken.None));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderTimeout));
        Assert.That(ex.IsRetryable, Is.True);
    }

    private sealed class ThrowingChatClient(Exception error) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromException<ChatResponse>(error);

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            if (error is not null) throw error;
            yield break;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
