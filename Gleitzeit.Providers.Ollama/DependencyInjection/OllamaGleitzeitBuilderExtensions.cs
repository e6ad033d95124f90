using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.Ollama;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Ollama as the <c>llm/v1</c> provider.</summary>
public static class OllamaGleitzeitBuilderExtensions
{
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
    public static IGleitzeitBuilder AddOllama(this IGleitzeitBuilder builder, Action<OllamaOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<OllamaOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OllamaOptions>, OllamaOptionsValidator>());
        builder.Services.TryAddSingleton(sp => new OllamaProvider(sp.GetRequiredService<IOptions<OllamaOptions>>().Value, null, sp.GetService<TimeProvider>()));
        builder.Services.AddSingleton(sp =>
        {
            var provider = sp.GetRequiredService<OllamaProvider>();
            return new ProviderRegistration(provider, "ollama", provider.Options.MaxConcurrency);
        });
        return builder;
    }
}
