using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.Ollama;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Ollama as an <c>llm/v1</c> provider (several, each with its own name, may be added).</summary>
public static class OllamaGleitzeitBuilderExtensions
{
    /// <summary>The provider name <see cref="AddOllama(IGleitzeitBuilder)"/> uses: <c>ollama</c>.</summary>
    public const string DefaultName = "ollama";

    /// <summary>Serves <c>llm/v1</c> with Ollama at <c>http://localhost:11434</c> and the default models.</summary>
    public static IGleitzeitBuilder AddOllama(this IGleitzeitBuilder builder) => builder.AddOllama(_ => { });

    /// <summary>
    /// Serves <c>llm/v1</c> with Ollama; <see cref="OllamaOptions"/> bound from <paramref name="configuration"/> (its keys are the property names, e.g. the
    /// <c>Gleitzeit:Ollama</c> section of appsettings.json; see docs/hosting.md), validated when the host starts.
    /// </summary>
    public static IGleitzeitBuilder AddOllama(this IGleitzeitBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.AddOllama(_ => { });
        builder.Services.AddOptions<OllamaOptions>().Bind(configuration);
        return builder;
    }

    /// <summary>Serves <c>llm/v1</c> with Ollama; <paramref name="configure"/> sets <see cref="OllamaOptions"/>, validated when the host starts.</summary>
    public static IGleitzeitBuilder AddOllama(this IGleitzeitBuilder builder, Action<OllamaOptions> configure) => builder.AddOllama(DefaultName, configure);

    /// <summary>
    /// Adds an Ollama provider named <paramref name="name"/> (what a task's <c>provider:</c> names). Its HttpClient comes
    /// from <c>IHttpClientFactory</c> (client name <c>gleitzeit.llm.NAME</c>: add handlers, resilience or instrumentation
    /// with <c>services.AddHttpClient("gleitzeit.llm.NAME")...</c>); <see cref="OllamaOptions.ConfigureChatClient"/> adds
    /// Microsoft.Extensions.AI middleware. The provider named <c>ollama</c> uses the unnamed <see cref="OllamaOptions"/>
    /// and is also registered as <see cref="OllamaProvider"/>; others are keyed services under their name.
    /// </summary>
    public static IGleitzeitBuilder AddOllama(this IGleitzeitBuilder builder, string name, Action<OllamaOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        var optionsName = name == DefaultName ? Options.Options.DefaultName : name;
        builder.Services.AddOptions<OllamaOptions>(optionsName).Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OllamaOptions>, OllamaOptionsValidator>());
        var clientName = HttpClientName(name);
        builder.Services.AddHttpClient(clientName)
            .ConfigureHttpClient((sp, http) =>
            {
                http.BaseAddress = sp.GetRequiredService<IOptionsMonitor<OllamaOptions>>().Get(optionsName).Endpoint;
                // the handler applies RequestTimeout to the wait for an answer; a streamed answer may then take as long as it needs
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddHttpMessageHandler(sp => new OllamaHttpHandler(sp.GetRequiredService<IOptionsMonitor<OllamaOptions>>().Get(optionsName), sp.GetService<TimeProvider>()));
        OllamaProvider Create(IServiceProvider sp) => new(
            sp.GetRequiredService<IOptionsMonitor<OllamaOptions>>().Get(optionsName),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(clientName),
            sp.GetService<TimeProvider>(), sp, sp.GetServices<ILlmToolSource>());
        if (name == DefaultName) builder.Services.TryAddSingleton(Create);
        else builder.Services.AddKeyedSingleton(name, (sp, _) => Create(sp));
        builder.Services.AddSingleton(sp =>
        {
            var provider = name == DefaultName ? sp.GetRequiredService<OllamaProvider>() : sp.GetRequiredKeyedService<OllamaProvider>(name);
            return new ProviderRegistration(provider, name, provider.Options.MaxConcurrency);
        });
        return builder;
    }

    /// <summary>The <c>IHttpClientFactory</c> client name an LLM provider named <paramref name="providerName"/> uses: <c>gleitzeit.llm.NAME</c>.</summary>
    public static string HttpClientName(string providerName) => "gleitzeit.llm." + providerName;
}
