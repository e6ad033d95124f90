using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Serves <c>llm/v1</c> with your own Microsoft.Extensions.AI client (OpenAI, Azure, a test double, ...).
/// For Ollama use <c>AddOllama()</c> from Gleitzeit.Providers.Ollama instead.
/// </summary>
public static class LlmGleitzeitBuilderExtensions
{
    /// <summary>
    /// Serves <c>llm/v1</c> with <paramref name="chatClient"/> (and <paramref name="embeddingGenerator"/> for <c>llm/embed</c>);
    /// <paramref name="configure"/> sets <see cref="LlmOptions"/> (validated when the host starts);
    /// <paramref name="maxConcurrency"/> bounds the LLM tasks running at once (null: only the engine's global bound).
    /// </summary>
    public static IGleitzeitBuilder AddLlm(this IGleitzeitBuilder builder, IChatClient chatClient,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null, Action<LlmOptions>? configure = null, int? maxConcurrency = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(chatClient);
        AddOptions(builder.Services, configure);
        builder.Services.AddSingleton(sp => new ProviderRegistration(
            Create(sp, chatClient, embeddingGenerator, sp.GetRequiredService<IOptions<LlmOptions>>().Value), "llm", maxConcurrency));
        return builder;
    }

    /// <summary>
    /// Adds an LLM provider named <paramref name="name"/> (what a task's <c>provider:</c> names) served by
    /// <paramref name="chatClient"/>, beside any others (<c>AddOllama</c>, <c>AddOpenAI</c>, ...); <paramref name="configure"/> sets its
    /// own <see cref="LlmOptions"/> (named options <paramref name="name"/>), including <see cref="LlmOptions.Models"/> patterns for routing
    /// and <see cref="LlmOptions.ConfigureChatClient"/> middleware.
    /// </summary>
    public static IGleitzeitBuilder AddLlm(this IGleitzeitBuilder builder, string name, IChatClient chatClient, Action<LlmOptions>? configure = null, int? maxConcurrency = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(chatClient);
        AddNamedOptions(builder.Services, name, configure);
        builder.Services.AddSingleton(sp => new ProviderRegistration(
            Create(sp, chatClient, null, sp.GetRequiredService<IOptionsMonitor<LlmOptions>>().Get(name)), name, maxConcurrency));
        return builder;
    }

    /// <summary>
    /// Adds an LLM provider named <paramref name="name"/> backed by the keyed <see cref="IChatClient"/> registered under
    /// <paramref name="serviceKey"/> (default: the name), e.g. by <c>services.AddKeyedChatClient("fast", ...)</c>, and the keyed
    /// <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> under the same key when there is one.
    /// </summary>
    public static IGleitzeitBuilder AddKeyedLlm(this IGleitzeitBuilder builder, string name, object? serviceKey = null, Action<LlmOptions>? configure = null, int? maxConcurrency = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = serviceKey ?? name;
        AddNamedOptions(builder.Services, name, configure);
        builder.Services.AddSingleton(sp => new ProviderRegistration(
            Create(sp, sp.GetRequiredKeyedService<IChatClient>(key), sp.GetKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(key),
                sp.GetRequiredService<IOptionsMonitor<LlmOptions>>().Get(name)), name, maxConcurrency));
        return builder;
    }

    private static LlmProvider Create(IServiceProvider sp, IChatClient chatClient, IEmbeddingGenerator<string, Embedding<float>>? embeddings, LlmOptions options)
    {
        var client = chatClient;
        if (options.ConfigureChatClient is { } configure)
        {
            var pipeline = new ChatClientBuilder(chatClient);
            configure(pipeline);
            client = pipeline.Build(sp);
        }
        return new LlmProvider(client, embeddings, options, sp.GetServices<ILlmToolSource>());
    }

    private static void AddNamedOptions(IServiceCollection services, string name, Action<LlmOptions>? configure)
    {
        var options = services.AddOptions<LlmOptions>(name).ValidateOnStart();
        if (configure is not null) options.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LlmOptions>>(LlmOptionsValidator.Instance));
    }

    /// <summary>
    /// Serves <c>llm/v1</c> with the <see cref="IChatClient"/> registered in the container (e.g. by
    /// <c>services.AddChatClient(...)</c>), and its <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> when there is one.
    /// </summary>
    public static IGleitzeitBuilder AddLlm(this IGleitzeitBuilder builder, Action<LlmOptions>? configure = null, int? maxConcurrency = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddOptions(builder.Services, configure);
        builder.Services.AddSingleton(sp => new ProviderRegistration(
            Create(sp, sp.GetRequiredService<IChatClient>(), sp.GetService<IEmbeddingGenerator<string, Embedding<float>>>(),
                sp.GetRequiredService<IOptions<LlmOptions>>().Value),
            "llm", maxConcurrency));
        return builder;
    }

    /// <summary>
    /// Serves <c>llm/v1</c> with the <see cref="IChatClient"/> registered in the container; <see cref="LlmOptions"/> bound from
    /// <paramref name="configuration"/> (e.g. the <c>Gleitzeit:Llm</c> section of appsettings.json; see docs/hosting.md).
    /// </summary>
    public static IGleitzeitBuilder AddLlm(this IGleitzeitBuilder builder, IConfiguration configuration, int? maxConcurrency = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        builder.AddLlm(configure: null, maxConcurrency);
        builder.Services.AddOptions<LlmOptions>().Bind(configuration);
        return builder;
    }

    private static void AddOptions(IServiceCollection services, Action<LlmOptions>? configure)
    {
        var options = services.AddOptions<LlmOptions>().ValidateOnStart();
        if (configure is not null) options.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LlmOptions>>(LlmOptionsValidator.Instance));
    }
}
