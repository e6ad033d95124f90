using Gleitzeit.TestServers.Ollama;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Gleitzeit.Hosting.Tests;

/// <summary><c>AddHealthChecks().AddGleitzeit()</c> in a real host: a check per provider and one for the store.</summary>
public sealed class HealthCheckTests
{
    [Test]
    public async Task Ollama_stopping_turns_its_check_unhealthy_with_the_reason()
    {
        var server = await OllamaTestServer.StartAsync();
        var database = Path.Combine(Path.GetTempPath(), $"gleitzeit-health-{Guid.NewGuid():N}.db");
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddGleitzeit()
            .AddOllama(o => o.Endpoint = server.BaseUri)
            .AddSqlite(o => o.DatabasePath = database);
        builder.Services.AddHealthChecks().AddGleitzeit();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var health = host.Services.GetRequiredService<HealthCheckService>();

            var up = await health.CheckHealthAsync();
            await server.DisposeAsync();
            var down = await health.CheckHealthAsync();

            Assert.That(up.Entries.Keys, Is.EquivalentTo(new[] { "gleitzeit-store", "gleitzeit-provider-ollama", "gleitzeit-provider-human" }), "the built-in human/v1 provider too");
            Assert.That(up.Status, Is.EqualTo(HealthStatus.Healthy), string.Join("; ", up.Entries.Select(e => $"{e.Key}: {e.Value.Description}")));
            Assert.That(up.Entries["gleitzeit-store"].Description, Does.Contain("SqliteWorkflowStore"));
            Assert.That(down.Status, Is.EqualTo(HealthStatus.Unhealthy));
            var ollama = down.Entries["gleitzeit-provider-ollama"];
            Assert.That(ollama.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(ollama.Description, Does.Contain("ollama").And.Contain(server.BaseUri.Authority), "the reason names the provider and where it looked");
            Assert.That(ollama.Data["error_code"], Is.EqualTo("\"PROVIDER_NOT_AVAILABLE\""), ollama.Description);
            Assert.That(down.Entries["gleitzeit-store"].Status, Is.EqualTo(HealthStatus.Healthy));
        }
        finally
        {
            await host.StopAsync();
            File.Delete(database);
        }
    }

    [Test]
    public async Task An_unreadable_store_is_unhealthy_with_the_stores_error()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddGleitzeit().AddRedis(o =>
        {
            o.Configuration = "127.0.0.1:1,connectTimeout=200,abortConnect=false";
            o.ConnectTimeout = TimeSpan.FromMilliseconds(300);
        });
        builder.Services.AddHealthChecks().AddGleitzeit(failureStatus: HealthStatus.Degraded);
        using var host = builder.Build();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var store = report.Entries["gleitzeit-store"];
        Assert.That(store.Status, Is.EqualTo(HealthStatus.Degraded), "the failure status the caller chose");
        Assert.That(store.Description, Does.StartWith("workflow store (RedisWorkflowStore) cannot be read:"));
        Assert.That(store.Description, Does.Contain("127.0.0.1:1").Or.Contain("Redis"), store.Description);
    }
}
