using Gleitzeit.Core.Protocol;
using Gleitzeit.Core.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>Invalid Redis store and worker options are all reported at once: on start, and by the constructors.</summary>
public sealed class RedisOptionsValidationTests
{
    [Test]
    public async Task Every_invalid_store_and_worker_option_is_reported_at_start()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit()
            .AddRedis(o =>
            {
                o.Configuration = "";
                o.KeyPrefix = null!;
                o.ConnectTimeout = TimeSpan.Zero;
            })
            .AddGleitzeitWorker(o =>
            {
                o.Concurrency = 0;
                o.LeaseTime = TimeSpan.FromMilliseconds(10);
                o.PollInterval = TimeSpan.Zero;
                o.ReportRetryWindow = TimeSpan.FromSeconds(-1);
                o.PerWorkerBoundProviders = null!;
            });
        await using var sp = services.BuildServiceProvider();

        var ex = Assert.Throws<AggregateException>(() => sp.GetRequiredService<IStartupValidator>().Validate())!;

        var failures = ex.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures).ToList();
        Assert.That(failures, Has.Count.EqualTo(8), string.Join(Environment.NewLine, failures));
        foreach (var name in new[] { "Configuration", "KeyPrefix", "ConnectTimeout", "Concurrency", "LeaseTime", "PollInterval", "ReportRetryWindow", "PerWorkerBoundProviders" })
        {
            Assert.That(failures, Has.Some.Contains("." + name), name);
        }
    }

    [Test]
    public async Task The_worker_constructor_reports_every_invalid_option_at_once()
    {
        await using var store = new RedisWorkflowStore(new RedisStoreOptions()); // lazy: nothing connects
        var options = new GleitzeitWorkerOptions { Concurrency = 0, LeaseTime = TimeSpan.Zero, PollInterval = TimeSpan.Zero };

        var ex = Assert.Throws<ArgumentException>(() => _ = new GleitzeitWorker(store, new ProviderRegistry(), options))!;

        Assert.That(ex.ParamName, Is.EqualTo("options"));
        Assert.That(ex.Message, Does.Contain("Concurrency").And.Contain("LeaseTime").And.Contain("PollInterval"));
    }

    [Test]
    public void The_store_constructor_reports_every_invalid_option_at_once()
    {
        var options = new RedisStoreOptions { Configuration = " ", KeyPrefix = null!, ConnectTimeout = TimeSpan.FromSeconds(-1) };

        var ex = Assert.Throws<ArgumentException>(() => _ = new RedisWorkflowStore(options))!;

        Assert.That(ex.ParamName, Is.EqualTo("options"));
        Assert.That(ex.Message, Does.Contain("Configuration").And.Contain("KeyPrefix").And.Contain("ConnectTimeout"));
    }

    [Test]
    public async Task Both_sides_of_the_store_are_the_redis_store()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddRedis(o =>
        {
            var options = RedisTestServer.NewOptions("sides");
            o.Configuration = options.Configuration;
            o.KeyPrefix = options.KeyPrefix;
        });
        await using var sp = services.BuildServiceProvider();

        var store = sp.GetRequiredService<IWorkflowStore>();

        Assert.That(store, Is.TypeOf<RedisWorkflowStore>());
        Assert.That(sp.GetRequiredService<IWorkflowStateStore>(), Is.SameAs(store));
        Assert.That(sp.GetRequiredService<IWorkflowHistory>(), Is.SameAs(store));
    }
}
