using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Persistence.Sqlite.Tests;

public sealed class SqliteRegistrationTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Test]
    public async Task AddSqlite_replaces_the_in_memory_store_and_the_engine_uses_it()
    {
        var path = _dir.File("di.db");
        var services = new ServiceCollection();
        services.AddGleitzeit().AddSqlite(o => o.DatabasePath = path);
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IWorkflowStore>();
        var engine = provider.GetRequiredService<ExecutionEngine>();

        Assert.That(store, Is.InstanceOf<SqliteWorkflowStore>());
        Assert.That(((SqliteWorkflowStore)store).DatabasePath, Is.EqualTo(path));
        Assert.That(engine.Store, Is.SameAs(store));
        Assert.That(provider.GetRequiredService<SqliteWorkflowStore>(), Is.SameAs(store));
        Assert.That(services.Count(d => d.ServiceType == typeof(IWorkflowStore)), Is.EqualTo(1));
        Assert.That(File.Exists(path));
    }

    [Test]
    public void AddSqlite_without_arguments_takes_the_default_path()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddSqlite();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value;

        Assert.That(options.DatabasePath, Is.EqualTo("~/.gleitzeit/gleitzeit.db"));
    }

    [Test]
    public async Task Invalid_options_stop_the_host_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGleitzeit().AddSqlite(o =>
        {
            o.DatabasePath = _dir.File("x.db");
            o.MaxBatchSize = 0;
        });
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(ex!.Message, Does.Contain("MaxBatchSize"));
    }

    [Test]
    public async Task Disposing_the_container_closes_the_file()
    {
        var path = _dir.File("di.db");
        var services = new ServiceCollection();
        services.AddGleitzeit().AddSqlite(o => o.DatabasePath = path);
        var provider = services.BuildServiceProvider();
        var store = (SqliteWorkflowStore)provider.GetRequiredService<IWorkflowStore>();

        await provider.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.GetRunAsync("x"));
    }
}
