using Gleitzeit.Core;
using Gleitzeit.Core.Batch;
using Gleitzeit.Core.Execution;
using Gleitzeit.TestServers.Ollama;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Core.Tests.Batch;

/// <summary>A temp folder, the Ollama test server, and a container with llm/v1 (Ollama) and python/v1, per test.</summary>
public abstract class BatchTestContext
{
    protected OllamaTestServer Server { get; private set; } = null!;

    protected string Dir { get; private set; } = null!;

    protected string ResultsDir => Path.Combine(Dir, "results");

    private readonly List<ServiceProvider> _providers = [];

    [SetUp]
    public async Task SetUpContext()
    {
        Server = await OllamaTestServer.StartAsync();
        Dir = Path.Combine(Path.GetTempPath(), "gleitzeit-batch-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Dir);
    }

    [TearDown]
    public async Task TearDownContext()
    {
        foreach (var p in _providers) await p.DisposeAsync();
        _providers.Clear();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    protected ServiceProvider Services(Action<BatchOptions>? batch = null, Action<IGleitzeitBuilder>? more = null, int ollamaConcurrency = 16, bool python = false)
    {
        var services = new ServiceCollection();
        var builder = services.AddGleitzeit(o =>
            {
                o.MaxConcurrency = 64;
                o.DefaultRetry = new RetryPolicy { MaxAttempts = 1 };
            })
            .AddOllama(o =>
            {
                o.Endpoint = Server.BaseUri;
                o.MaxConcurrency = ollamaConcurrency;
            });
        if (python) builder.AddPython();
        more?.Invoke(builder);
        services.Configure<BatchOptions>(o =>
        {
            o.ResultsDirectory = ResultsDir;
            batch?.Invoke(o);
        });
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider;
    }

    protected BatchProcessor Processor(Action<BatchOptions>? batch = null, Action<IGleitzeitBuilder>? more = null, int ollamaConcurrency = 16, bool python = false) =>
        Services(batch, more, ollamaConcurrency, python).GetRequiredService<BatchProcessor>();

    protected string Write(string relative, string text)
    {
        var path = Path.Combine(Dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    protected string WriteBytes(string relative, byte[] bytes)
    {
        var path = Path.Combine(Dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A real 1x1 PNG.</summary>
    protected static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");
}

/// <summary>Records every report synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class ListProgress : IProgress<BatchProgress>
{
    private readonly object _gate = new();

    public List<BatchProgress> Reports { get; } = [];

    public void Report(BatchProgress value)
    {
        lock (_gate) Reports.Add(value);
    }
}
