using System.Net;
using System.Net.Sockets;
using Gleitzeit.Core.Protocol;
using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Providers.Ollama.Tests;

public sealed class OllamaHealthTests : OllamaTestContext
{
    [Test]
    public async Task Health_reports_version_and_models_from_the_server()
    {
        var health = await Provider.CheckHealthAsync(CancellationToken.None);

        Assert.That(health.Status, Is.EqualTo(ProviderHealthStatus.Healthy));
        Assert.That((string?)health.Details!["version"], Is.EqualTo("0.6.8"));
        Assert.That(health.Details!["models"]!.AsArray().Select(m => (string?)m), Is.EqualTo(new[] { "llama3.2:latest", "llava:latest", "nomic-embed-text:latest" }));
        Assert.That(Server.Requests.Select(r => r.Path), Is.EqualTo(new[] { "/api/version", "/api/tags" }));
    }

    [Test]
    public async Task Health_is_degraded_when_the_default_model_is_not_installed()
    {
        Server.RemoveModel("llama3.2:latest");

        var health = await Provider.CheckHealthAsync(CancellationToken.None);

        Assert.That(health.Status, Is.EqualTo(ProviderHealthStatus.Degraded));
        Assert.That(health.Message, Does.Contain("ollama pull llama3.2:latest"));
    }

    [Test]
    public async Task Health_is_unhealthy_with_the_fix_when_nothing_listens()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        await using var provider = new OllamaProvider(new OllamaOptions { Endpoint = new Uri($"http://127.0.0.1:{port}") });

        var health = await provider.CheckHealthAsync(CancellationToken.None);

        Assert.That(health.Status, Is.EqualTo(ProviderHealthStatus.Unhealthy));
        Assert.That(health.Message, Does.Contain("ollama serve"));
    }

    [Test]
    public async Task ListModelsAsync_returns_the_installed_models_with_their_details()
    {
        Server.AddModel(new OllamaTestModel("mistral:7b", Family: "mistral", ParameterSize: "7.2B"));

        var models = await Provider.ListModelsAsync();

        Assert.That(models.Select(m => m.Name), Is.EqualTo(new[] { "llama3.2:latest", "llava:latest", "mistral:7b", "nomic-embed-text:latest" }));
        var mistral = models.Single(m => m.Name == "mistral:7b");
        Assert.That(mistral.Family, Is.EqualTo("mistral"));
        Assert.That(mistral.ParameterSize, Is.EqualTo("7.2B"));
        Assert.That(mistral.Size, Is.GreaterThan(0));
    }

    [Test]
    public void Constructor_rejects_invalid_options_listing_every_problem()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OllamaProvider(new OllamaOptions { DefaultModel = "", RequestTimeout = TimeSpan.Zero }));

        Assert.That(ex!.Message, Does.Contain("DefaultModel").And.Contain("RequestTimeout"));
    }
}
