using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.OpenAI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds OpenAI, Azure OpenAI or an OpenAI-compatible server as an <c>llm/v1</c> provider (several may be added, each with its name).</summary>
public static class OpenAIGleitzeitBuilderExtensions
{
    /// <summary>The provider name <c>AddOpenAI</c> uses when none is given: <c>openai</c>.</summary>
    public const string DefaultName = "openai";

    /// <summary>Adds OpenAI (<c>https://api.openai.com/v1</c>, key from <c>OPENAI_API_KEY</c>) under the name <c>openai</c>.</summary>
    public static IGleitzeitBuilder AddOpenAI(this IGleitzeitBuilder builder) => builder.AddOpenAI(DefaultName, _ => { });

    /// <summary>Adds an OpenAI provider named <c>openai</c>; <paramref name="configure"/> sets <see cref="OpenAIOptions"/>, validated when the host starts.</summary>
    public static IGleitzeitBuilder AddOpenAI(this IGleitzeitBuilder builder, Action<OpenAIOptions> configure) => builder.AddOpenAI(DefaultName, configure);

    /// <summary>
    /// Adds an OpenAI provider named <paramref name="name"/> (what a task's <c>provider:</c> names; null: <c>openai</c>). Its
    /// HttpClient comes from <c>IHttpClientFactory</c> (client name <c>gleitzeit.llm.NAME</c>: add handlers, resilience or
    /// instrumentation with <c>services.AddHttpClient("gleitzeit.llm.NAME")...</c>); <see cref="OpenAIOptions.ConfigureChatClient"/>
    /// adds Microsoft.Extensions.AI middleware. The provider is also a keyed <see cref="OpenAIProvider"/> service under its name.
    /// </summary>
    public static IGleitzeitBuilder AddOpenAI(this IGleitzeitBuilder builder, string? name, Action<OpenAIOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        name ??= DefaultName;
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        builder.Services.AddOptions<OpenAIOptions>(name).Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OpenAIOptions>, OpenAIOptionsValidator>());
        var clientName = "gleitzeit.llm." + name;
        builder.Services.AddHttpClient(clientName)
            .ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptionsMonitor<OpenAIOptions>>().Get(name);
                HttpMessageHandler primary = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
                return options.IsAzure && options.ResolveApiKey() is { } key ? new AzureApiKeyHandler(key) { InnerHandler = primary } : primary;
            });
        builder.Services.AddKeyedSingleton(name, (sp, _) => new OpenAIProvider(
            sp.GetRequiredService<IOptionsMonitor<OpenAIOptions>>().Get(name),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(clientName),
            sp, sp.GetServices<ILlmToolSource>()));
        builder.Services.AddSingleton(sp =>
        {
            var provider = sp.GetRequiredKeyedService<OpenAIProvider>(name);
            return new ProviderRegistration(provider, name, provider.Options.MaxConcurrency);
        });
        return builder;
    }
}
