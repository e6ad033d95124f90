using Gleitzeit.Core.Persistence;
using Gleitzeit.Persistence.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite store in place of the in-memory one.</summary>
public static class SqliteGleitzeitBuilderExtensions
{
    /// <summary>Keeps runs in SQLite at <c>~/.gleitzeit/gleitzeit.db</c>.</summary>
    public static IGleitzeitBuilder AddSqlite(this IGleitzeitBuilder builder) => builder.AddSqlite(_ => { });

    /// <summary>
    /// Stores runs in SQLite; <see cref="SqliteStoreOptions"/> bound from <paramref name="configuration"/> (its keys are the property names, e.g. the
    /// <c>Gleitzeit:Sqlite</c> section of appsettings.json; see docs/hosting.md), validated when the host starts.
    /// </summary>
    public static IGleitzeitBuilder AddSqlite(this IGleitzeitBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.AddSqlite(_ => { });
        builder.Services.AddOptions<SqliteStoreOptions>().Bind(configuration);
        return builder;
    }

    /// <summary>Keeps runs in SQLite; <paramref name="configure"/> sets <see cref="SqliteStoreOptions"/>, validated on start.</summary>
    public static IGleitzeitBuilder AddSqlite(this IGleitzeitBuilder builder, Action<SqliteStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<SqliteStoreOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>>(SqliteStoreOptionsValidator.Instance));
        builder.Services.RemoveAll<IWorkflowStore>();
        builder.Services.TryAddSingleton(sp => new SqliteWorkflowStore(
            sp.GetRequiredService<IOptions<SqliteStoreOptions>>(),
            sp.GetService<ILogger<SqliteWorkflowStore>>(),
            sp.GetService<TimeProvider>()));
        builder.Services.AddSingleton<IWorkflowStore>(sp => sp.GetRequiredService<SqliteWorkflowStore>());
        return builder;
    }
}
