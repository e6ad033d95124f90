using System.Diagnostics.CodeAnalysis;
using Gleitzeit.Core;
using Gleitzeit.Core.Batch;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Hosting;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Gleitzeit's engine, registry, batch processor and default (in-memory) store.</summary>
public static class GleitzeitServiceCollectionExtensions
{
    /// <summary>Adds Gleitzeit with default options.</summary>
    public static IGleitzeitBuilder AddGleitzeit(this IServiceCollection services) => services.AddGleitzeit(_ => { });

    /// <summary>
    /// Adds Gleitzeit with <see cref="GleitzeitOptions"/> bound from <paramref name="configuration"/> (its keys are the
    /// property names) and <see cref="BatchOptions"/> from its <c>Batch</c> child, all validated together when the host
    /// starts. Pass the <c>Gleitzeit</c> section of appsettings.json, and its children to the packages' own overloads:
    /// <c>AddGleitzeit(section).AddOllama(section.GetSection("Ollama")).AddSqlite(section.GetSection("Sqlite"))</c>.
    /// Every key is documented in docs/hosting.md.
    /// </summary>
    public static IGleitzeitBuilder AddGleitzeit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddGleitzeit(_ => { });
        services.AddOptions<GleitzeitOptions>().Bind(configuration).Configure(o => o.DefaultRetry = BindRetry(configuration.GetSection("DefaultRetry"), o.DefaultRetry));
        services.AddOptions<BatchOptions>().Bind(configuration.GetSection("Batch"));
        return builder;
    }

    // RetryPolicy is an immutable record (init-only properties), which the binder does not set: its keys are read here.
    private static RetryPolicy BindRetry(IConfigurationSection section, RetryPolicy current) => !section.Exists() ? current : current with
    {
        MaxAttempts = section.GetValue(nameof(RetryPolicy.MaxAttempts), current.MaxAttempts),
        InitialDelay = section.GetValue(nameof(RetryPolicy.InitialDelay), current.InitialDelay),
        BackoffFactor = section.GetValue(nameof(RetryPolicy.BackoffFactor), current.BackoffFactor),
        MaxDelay = section.GetValue(nameof(RetryPolicy.MaxDelay), current.MaxDelay),
        Jitter = section.GetValue(nameof(RetryPolicy.Jitter), current.Jitter),
    };

    /// <summary>Adds Gleitzeit; <paramref name="configure"/> sets <see cref="GleitzeitOptions"/>, validated on start.</summary>
    public static IGleitzeitBuilder AddGleitzeit(this IServiceCollection services, Action<GleitzeitOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<GleitzeitOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GleitzeitOptions>>(GleitzeitOptionsValidator.Instance));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IWorkflowStore, InMemoryWorkflowStore>();
        // Both sides of whichever store is registered last (UseStore, AddSqlite and AddRedis replace IWorkflowStore).
        services.TryAddSingleton<IWorkflowStateStore>(sp => sp.GetRequiredService<IWorkflowStore>());
        services.TryAddSingleton<IWorkflowHistory>(sp => sp.GetRequiredService<IWorkflowStore>());
        // The result cache and the budget ledger of the pipeline's cost stages; AddSqlite and AddRedis replace them.
        services.TryAddSingleton<Gleitzeit.Core.Cost.ITaskResultCache, Gleitzeit.Core.Cost.InMemoryTaskResultCache>();
        services.TryAddSingleton<Gleitzeit.Core.Cost.IBudgetLedger, Gleitzeit.Core.Cost.InMemoryBudgetLedger>();
        services.TryAddSingleton<Gleitzeit.Core.Cost.IProviderRateLimiter>(sp => new Gleitzeit.Core.Cost.InMemoryProviderRateLimiter(sp.GetRequiredService<TimeProvider>()));
        // human/v1 (approvals and inputs) is always there: it needs nothing but the engine and the store.
        if (!services.Any(d => d.ServiceType == typeof(ProviderRegistration) && d.ImplementationInstance is ProviderRegistration { Provider: Gleitzeit.Core.Human.HumanProvider }))
        {
            services.AddSingleton(new ProviderRegistration(Gleitzeit.Core.Human.HumanProvider.Instance, "human"));
        }
        services.TryAddSingleton(sp =>
        {
            var registry = new ProviderRegistry(sp.GetServices<ProviderRegistration>());
            // workflow/run: known to validation before the engine is first used; its runs are the engine's.
            WorkflowRunProvider.AddTo(registry, () => sp.GetRequiredService<ExecutionEngine>());
            return registry;
        });
        services.TryAddSingleton(sp => new TaskPipeline(
            sp.GetServices<TaskMiddlewareRegistration>().Select(r => (ITaskMiddleware)sp.GetRequiredService(r.MiddlewareType)),
            sp,
            sp.GetService<ILogger<TaskPipeline>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp =>
        {
            var engine = new ExecutionEngine(
                sp.GetRequiredService<ProviderRegistry>(),
                sp.GetRequiredService<IWorkflowStore>(),
                sp.GetRequiredService<IOptions<GleitzeitOptions>>(),
                sp.GetService<ILogger<ExecutionEngine>>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<TaskPipeline>());
            foreach (var named in sp.GetServices<NamedWorkflow>()) engine.RegisterWorkflow(named.Name, named.Workflow);
            return engine;
        });
        // The default runner runs in this process; AddRedis adds the distributed one keyed "redis" (never replacing this).
        services.TryAddSingleton<IWorkflowRunner>(sp => sp.GetRequiredService<ExecutionEngine>());
        services.AddOptions<BatchOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BatchOptions>>(BatchOptionsValidator.Instance));
        services.TryAddSingleton<BatchProcessor>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, GleitzeitStartupService>());
        return new GleitzeitBuilder(services);
    }

    /// <summary>Adds a custom provider instance. <paramref name="id"/> defaults to its protocol name.</summary>
    public static IGleitzeitBuilder AddProvider(this IGleitzeitBuilder builder, ITaskProvider provider, string? id = null, int? maxConcurrency = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(provider);
        builder.Services.AddSingleton(new ProviderRegistration(provider, id, maxConcurrency));
        return builder;
    }

    /// <summary>Adds a custom provider built by the container (so it can take its own dependencies).</summary>
    public static IGleitzeitBuilder AddProvider<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TProvider>(this IGleitzeitBuilder builder, string? id = null, int? maxConcurrency = null)
        where TProvider : class, ITaskProvider
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TProvider>();
        builder.Services.AddSingleton(sp => new ProviderRegistration(sp.GetRequiredService<TProvider>(), id, maxConcurrency));
        return builder;
    }

    /// <summary>
    /// Adds <typeparamref name="TMiddleware"/> to the task pipeline that every task attempt goes through (in the engine
    /// and in Redis workers built from this container). Middleware runs in registration order, after reference
    /// resolution and parameter validation and before the timeout and the provider call; see <see cref="TaskPipeline"/>.
    /// The instance is a singleton resolved from the container (registered here unless it already is).
    /// </summary>
    public static IGleitzeitBuilder UseTaskMiddleware<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TMiddleware>(this IGleitzeitBuilder builder)
        where TMiddleware : class, ITaskMiddleware
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TMiddleware>();
        builder.Services.AddSingleton(new TaskMiddlewareRegistration(typeof(TMiddleware)));
        return builder;
    }

    /// <summary>
    /// Registers <paramref name="workflow"/> with the engine under <paramref name="name"/>: a <c>workflow/run</c> task runs it
    /// by name (<c>params: { workflow: NAME }</c>). See <see cref="ExecutionEngine.RegisterWorkflow"/>.
    /// </summary>
    public static IGleitzeitBuilder AddWorkflow(this IGleitzeitBuilder builder, string name, Workflow workflow)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(workflow);
        builder.Services.AddSingleton(new NamedWorkflow(name, workflow));
        return builder;
    }

    /// <summary>Replaces the store (the in-memory one by default).</summary>
    public static IGleitzeitBuilder UseStore<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TStore>(this IGleitzeitBuilder builder)
        where TStore : class, IWorkflowStore
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.RemoveAll<IWorkflowStore>();
        builder.Services.TryAddSingleton<TStore>();
        builder.Services.AddSingleton<IWorkflowStore>(sp => sp.GetRequiredService<TStore>());
        return builder;
    }
}
