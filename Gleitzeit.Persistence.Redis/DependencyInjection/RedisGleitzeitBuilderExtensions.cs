using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Persistence.Redis;
using Gleitzeit.Persistence.Redis.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis store, the distributed work queue and the worker.</summary>
public static class RedisGleitzeitBuilderExtensions
{
    /// <summary>Keeps runs in Redis at <c>localhost:6379</c> (replacing the in-memory store) and registers <see cref="RedisWorkflowQueue"/>.</summary>
    public static IGleitzeitBuilder AddRedis(this IGleitzeitBuilder builder) => builder.AddRedis(_ => { });

    /// <summary>
    /// Stores runs in Redis (and adds the distributed runner); <see cref="RedisStoreOptions"/> bound from <paramref name="configuration"/> (its keys are the property names, e.g. the
    /// <c>Gleitzeit:Redis</c> section of appsettings.json; see docs/hosting.md), validated when the host starts.
    /// </summary>
    public static IGleitzeitBuilder AddRedis(this IGleitzeitBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.AddRedis(_ => { });
        builder.Services.AddOptions<RedisStoreOptions>().Bind(configuration);
        return builder;
    }

    /// <summary>Keeps runs in Redis (replacing the in-memory store) and registers <see cref="RedisWorkflowQueue"/> and <see cref="RedisWorkflowRunner"/> (also the keyed <see cref="IWorkflowRunner"/> under "redis"); <paramref name="configure"/> sets <see cref="RedisStoreOptions"/>, validated on start.</summary>
    public static IGleitzeitBuilder AddRedis(this IGleitzeitBuilder builder, Action<RedisStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<RedisStoreOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisStoreOptions>>(RedisStoreOptionsValidator.Instance));
        services.TryAddSingleton(sp => new RedisConnection(sp.GetRequiredService<IOptions<RedisStoreOptions>>().Value));
        services.RemoveAll<IWorkflowStore>();
        services.TryAddSingleton(sp => new RedisWorkflowStore(sp.GetRequiredService<RedisConnection>(), ownsConnection: false));
        services.AddSingleton<IWorkflowStore>(sp => sp.GetRequiredService<RedisWorkflowStore>());
        services.TryAddSingleton(sp => new RedisWorkflowQueue(sp.GetRequiredService<RedisWorkflowStore>(), sp.GetService<TimeProvider>()));
        // The distributed runner is keyed: the unkeyed IWorkflowRunner stays the in-process engine, so adding Redis as a
        // store never sends runs to workers that may not exist.
        services.TryAddSingleton(sp => new RedisWorkflowRunner(sp.GetRequiredService<RedisWorkflowQueue>(), sp.GetService<TimeProvider>()));
        services.TryAddKeyedSingleton<IWorkflowRunner>(RedisWorkflowRunner.ServiceKey, (sp, _) => sp.GetRequiredService<RedisWorkflowRunner>());
        return builder;
    }

    /// <summary>Runs a <see cref="GleitzeitWorker"/> as a hosted service with default options. Needs <see cref="AddRedis(IGleitzeitBuilder)"/>.</summary>
    public static IGleitzeitBuilder AddGleitzeitWorker(this IGleitzeitBuilder builder) => builder.AddGleitzeitWorker(_ => { });

    /// <summary>
    /// Runs a Redis worker in the host; <see cref="GleitzeitWorkerOptions"/> bound from <paramref name="configuration"/> (its keys are the property names, e.g. the
    /// <c>Gleitzeit:Worker</c> section of appsettings.json; see docs/hosting.md), validated when the host starts.
    /// </summary>
    public static IGleitzeitBuilder AddGleitzeitWorker(this IGleitzeitBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.AddGleitzeitWorker(_ => { });
        builder.Services.AddOptions<GleitzeitWorkerOptions>().Bind(configuration).Configure(o =>
        {
            // The binder adds a configured list to the default one; configured, it replaces it.
            var bound = configuration.GetSection(nameof(GleitzeitWorkerOptions.PerWorkerBoundProviders));
            if (bound.Exists()) o.PerWorkerBoundProviders = [.. bound.GetChildren().Select(c => c.Value).OfType<string>()];
        });
        return builder;
    }

    /// <summary>Runs a <see cref="GleitzeitWorker"/> as a hosted service: it takes tasks from the Redis queue and runs them with the registered providers. Needs <see cref="AddRedis(IGleitzeitBuilder)"/>.</summary>
    public static IGleitzeitBuilder AddGleitzeitWorker(this IGleitzeitBuilder builder, Action<GleitzeitWorkerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<GleitzeitWorkerOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GleitzeitWorkerOptions>>(GleitzeitWorkerOptionsValidator.Instance));
        services.TryAddSingleton(sp =>
        {
            if (sp.GetService<RedisWorkflowStore>() is not { } store)
            {
                throw new InvalidOperationException("AddGleitzeitWorker needs the Redis store: call .AddRedis(...) on the same builder.");
            }
            return new GleitzeitWorker(store, sp.GetRequiredService<ProviderRegistry>(), sp.GetRequiredService<IOptions<GleitzeitWorkerOptions>>().Value,
                sp.GetService<IOptions<GleitzeitOptions>>()?.Value, sp.GetService<ILogger<GleitzeitWorker>>(), sp.GetService<TimeProvider>(),
                sp.GetService<TaskPipeline>());
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, GleitzeitWorkerService>());
        return builder;
    }
}
