using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.Mcp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>mcp/v1</c> provider (tools of MCP servers as tasks).</summary>
public static class McpGleitzeitBuilderExtensions
{
    /// <summary>Adds the MCP provider with no servers configured yet (configure them with <c>Configure&lt;McpOptions&gt;</c>).</summary>
    public static IGleitzeitBuilder AddMcp(this IGleitzeitBuilder builder) => builder.AddMcp(_ => { });

    /// <summary>
    /// Adds the MCP provider; <see cref="McpOptions"/> bound from <paramref name="configuration"/> (its keys are the property names, e.g. the
    /// <c>Gleitzeit:Mcp</c> section of appsettings.json; see docs/hosting.md), validated when the host starts.
    /// </summary>
    public static IGleitzeitBuilder AddMcp(this IGleitzeitBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.AddMcp(_ => { });
        builder.Services.AddOptions<McpOptions>().Bind(configuration);
        return builder;
    }

    /// <summary>Adds the MCP provider; <paramref name="configure"/> names the servers. Options are validated on start.</summary>
    public static IGleitzeitBuilder AddMcp(this IGleitzeitBuilder builder, Action<McpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<McpOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<McpOptions>, McpOptionsValidator>());
        builder.Services.TryAddSingleton(sp => new McpProvider(sp.GetRequiredService<IOptions<McpOptions>>().Value, sp.GetService<ILoggerFactory>()));
        builder.Services.AddSingleton(sp => new ProviderRegistration(sp.GetRequiredService<McpProvider>(), "mcp"));
        // llm/* tasks may hand the servers' tools to the model: tools: [mcp:SERVER, mcp:SERVER/TOOL]
        builder.Services.AddSingleton<Gleitzeit.Core.Llm.ILlmToolSource>(sp => sp.GetRequiredService<McpProvider>().ToolSource);
        return builder;
    }
}
