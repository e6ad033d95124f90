using Gleitzeit.Core.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Persistence.Sqlite.Tests;

/// <summary>Invalid <see cref="SqliteStoreOptions"/> are all reported at once: on start, and by the store's constructor.</summary>
public sealed class SqliteOptionsValidationTests
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
    public async Task Every_invalid_option_stops_the_host_in_one_exception()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGleitzeit().AddSqlite(o =>
        {
            o.DatabasePath = " ";
            o.BusyTimeout = TimeSpan.FromSeconds(-1);
            o.MaxBatchSize = 0;
        });
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(ex!.Failures, Has.Count.EqualTo(3), ex.Message);
        Assert.That(ex.Message, Does.Contain("DatabasePath").And.Contain("BusyTimeout").And.Contain("MaxBatchSize"));
    }

    [Test]
    public void The_constructor_reports_every_invalid_option_at_once_and_creates_no_file()
    {
        var path = _dir.File("never.db");
        var options = new SqliteStoreOptions { DatabasePath = path, BusyTimeout = TimeSpan.FromSeconds(-1), MaxBatchSize = 0, Synchronous = (SqliteSynchronousMode)42 };

        var ex = Assert.Throws<ArgumentException>(() => _ = new SqliteWorkflowStore(options))!;

        Assert.That(ex.ParamName, Is.EqualTo("options"));
        Assert.That(ex.Message, Does.Contain("BusyTimeout").And.Contain("MaxBatchSize").And.Contain("Synchronous"));
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public async Task Both_sides_of_the_store_are_the_sqlite_store()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddSqlite(o => o.DatabasePath = _dir.File("sides.db"));
        await using var sp = services.BuildServiceProvider();

        var store = sp.GetRequiredService<IWorkflowStore>();

        Assert.That(store, Is.TypeOf<SqliteWorkflowStore>());
        Assert.That(sp.GetRequiredService<IWorkflowStateStore>(), Is.SameAs(store));
        Assert.That(sp.GetRequiredService<IWorkflowHistory>(), Is.SameAs(store));
    }
}
