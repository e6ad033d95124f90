using System.Text.Json.Nodes;
using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.AI;

namespace Gleitzeit.Core.Tests.Llm;

/// <summary>WorkflowRun.Usage sums the results' usage by model; the registry routes llm tasks by name and model pattern.</summary>
public class UsageAndRoutingTests
{
    [Test]
    public void Usage_sums_every_llm_result_by_model_and_ignores_other_results()
    {
        JsonObject Llm(string model, int prompt, int completion) => new()
        {
            ["model"] = model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion },
        };
        var usage = RunUsage.FromResults([Llm("a", 10, 5), Llm("b", 1, 2), Llm("a", 3, 4), new JsonObject { ["result"] = 1 }, null]);

        Assert.That(usage.Total, Is.EqualTo(new TokenUsage(14, 11, 25, 3)));
        Assert.That(usage.ByModel["a"], Is.EqualTo(new TokenUsage(13, 9, 22, 2)));
        Assert.That(usage.ToJson()["by_model"]!["b"]!["total_tokens"]!.GetValue<long>(), Is.EqualTo(3));
    }

    [Test]
    public void Routing_goes_by_provider_name_then_by_pattern_then_to_the_default()
    {
        var registry = new ProviderRegistry();
        registry.Register(new LlmProvider(new NullChatClient(), null, new LlmOptions()), "local");
        registry.Register(new LlmProvider(new NullChatClient(), null, new LlmOptions { Models = ["gpt-*", "O3*"] }), "hosted");

        string Route(string? model, string? provider = null)
        {
            var p = new JsonObject { ["prompt"] = "x" };
            if (model is not null) p["model"] = model;
            return registry.Resolve(new WorkflowTask { Id = "t", Protocol = "llm/v1", Method = "llm/chat", Parameters = p, Provider = provider }).Registration.Id;
        }

        Assert.That(Route("gpt-4o"), Is.EqualTo("hosted"));
        Assert.That(Route("o3-mini"), Is.EqualTo("hosted"), "patterns ignore case");
        Assert.That(Route("llama3.2"), Is.EqualTo("local"));
        Assert.That(Route(null), Is.EqualTo("local"));
        Assert.That(Route("${a.model}"), Is.EqualTo("local"), "a model from a reference goes to the default");
        Assert.That(Route("gpt-4o", provider: "local"), Is.EqualTo("local"));
        var ex = Assert.Throws<GleitzeitException>(() => Route("x", provider: "hostd"))!;
        Assert.That(ex.Message, Does.Contain("did you mean 'hosted'?"));
    }

    private sealed class NullChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "")));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
