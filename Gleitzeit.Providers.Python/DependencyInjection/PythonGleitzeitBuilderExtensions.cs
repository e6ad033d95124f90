using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.Python;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>python/v1</c> provider.</summary>
public static class PythonGleitzeitBuilderExtensions
{
    /// <summary>Adds the Python provider with default <see cref="PythonOptions"/>.</summary>
    public static IGleitzeitBuilder AddPython(this IGleitzeitBuilder builder) => builder.AddPython(_ => { });

    /// <summary>
    /// Adds the Python provider; <see cref="PythonOptions"/> bound from <paramref name="configuration"/> (its keys are the property names, e.g. the
    /// <c>Gleitzeit:Python</c> section of appsettings.json; see docs/hosting.md), validated when the host starts.
    /// </summary>
    public static IGleitzeitBuilder AddPython(this IGleitzeitBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.AddPython(_ => { });
        builder.Services.AddOptions<PythonOptions>().Bind(configuration);
        return builder;
    }

    /// <summary>Adds the Python provider; <paramref name="configure"/> sets <see cref="PythonOptions"/>, validated on start.</summary>
    public static IGleitzeitBuilder AddPython(this IGleitzeitBuilder builder, Action<PythonOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<PythonOptions>()
            .Configure(configure)
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PythonOptions>, PythonOptionsValidator>());
        builder.Services.TryAddSingleton(sp => new PythonProvider(
            sp.GetRequiredService<IOptions<PythonOptions>>().Value,
            sp.GetService<ILogger<PythonProvider>>(),
            sp.GetService<TimeProvider>()));
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PythonOptions>>().Value;
            // The engine queues Python tasks beyond the pool size instead of letting them wait inside the provider.
            return new ProviderRegistration(sp.GetRequiredService<PythonProvider>(), maxConcurrency: options.Workers);
        });
        return builder;
    }
}
