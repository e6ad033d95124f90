using Gleitzeit.Cli.Configuration;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Persistence.Redis;
using Gleitzeit.Providers.Mcp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Cli.Wiring;

/// <summary>
/// The one place that turns configuration into services: AddGleitzeit, every provider, the store. Built on first use
/// only, so <c>--help</c>, <c>--version</c>, <c>config</c>, <c>init</c> start no provider and open no store.
/// </summary>
internal sealed class GleitzeitServices : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private GleitzeitServices(ServiceProvider provider, CliSettings settings, string storeDescription)
    {
        _provider = provider;
        Settings = settings;
        StoreDescription = storeDescription;
    }

    public CliSettings Settings { get; }

    /// <summary>Which store and where, for <c>system status</c> and <c>backend get-stats</c>.</summary>
    public string StoreDescription { get; }

    public ExecutionEngine Engine => _provider.GetRequiredService<ExecutionEngine>();

    public IWorkflowStore Store => _provider.GetRequiredService<IWorkflowStore>();

    public ProviderRegistry Registry => _provider.GetRequiredService<ProviderRegistry>();

    public IServiceProvider Services => _provider;

    /// <summary>How often the owner of a run renews its lease, and so picks up answers recorded by other processes.</summary>
    public TimeSpan LeaseRenewal => _provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<Gleitzeit.Core.GleitzeitOptions>>().Value.RunLeaseDuration / 3;

    /// <summary>Which runner runs, follows and cancels a run: the engine here or the Redis workers.</summary>
    public RunnerResolver Runners => new(_provider, Settings.Backend);

    public static GleitzeitServices Create(CliSettings settings, bool debug, int? workerConcurrency = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(debug ? LogLevel.Debug : LogLevel.Warning);
            if (debug) b.AddProvider(new StderrLoggerProvider());
        });
        var gleitzeit = services.AddGleitzeit(o => o.MaxConcurrency = settings.GetInt(SettingKeys.MaxConcurrentTasks));
        AddProviders(gleitzeit, settings);
        services.Configure<Gleitzeit.Core.Batch.BatchOptions>(o =>
        {
            o.MaxFileSize = settings.GetInt(SettingKeys.BatchMaxFileSize);
            o.MaxConcurrent = settings.GetInt(SettingKeys.BatchMaxConcurrent);
            o.ResultsDirectory = settings.GetPath(SettingKeys.BatchResultsDirectory);
        });
        var store = AddStore(gleitzeit, settings);
        if (workerConcurrency is { } concurrency) gleitzeit.AddGleitzeitWorker(o => o.Concurrency = concurrency);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = false });
        try
        {
            // Validates every options class now (there is no host to do it on start); constructing providers starts nothing.
            _ = provider.GetRequiredService<IOptions<GleitzeitOptions>>().Value;
            _ = provider.GetRequiredService<ProviderRegistry>();
        }
        catch (Exception ex) when (ex is OptionsValidationException or ArgumentException)
        {
            provider.Dispose();
            var problems = ex is OptionsValidationException o ? string.Join("; ", o.Failures.Select(f => f.TrimEnd('.'))) : ex.Message;
            throw CliException.Invalid("Invalid configuration: " + problems, "See the effective values with 'gleitzeit config'.");
        }
        return new GleitzeitServices(provider, settings, store);
    }

    private static void AddProviders(IGleitzeitBuilder gleitzeit, CliSettings settings)
    {
        if (!Uri.TryCreate(settings.Get(SettingKeys.OllamaUrl), UriKind.Absolute, out var ollama) || (ollama.Scheme != Uri.UriSchemeHttp && ollama.Scheme != Uri.UriSchemeHttps))
        {
            throw CliException.Invalid($"{SettingKeys.OllamaUrl} '{settings.Get(SettingKeys.OllamaUrl)}' (from {settings[SettingKeys.OllamaUrl].Source}) is not an http:// or https:// address.");
        }
        gleitzeit.AddOllama(o =>
        {
            o.Endpoint = ollama;
            o.DefaultModel = settings.Get(SettingKeys.OllamaDefaultModel);
            o.VisionModel = settings.Get(SettingKeys.OllamaVisionModel);
            o.EmbeddingModel = settings.Get(SettingKeys.OllamaEmbeddingModel);
            o.RequestTimeout = TimeSpan.FromSeconds(settings.GetInt(SettingKeys.OllamaRequestTimeout));
            o.MaxConcurrency = settings.GetInt(SettingKeys.OllamaMaxConcurrency);
        });
        gleitzeit.AddPython(o =>
        {
            o.Interpreter = settings.Get(SettingKeys.PythonInterpreter);
            o.Workers = settings.GetInt(SettingKeys.PythonWorkers);
            o.DefaultTimeout = TimeSpan.FromSeconds(settings.GetInt(SettingKeys.PythonTimeout));
            o.ScriptsDirectory = settings.GetPath(SettingKeys.PythonScriptsDir);
        });
        if (settings.McpServers.Count > 0)
        {
            gleitzeit.AddMcp(o =>
            {
                foreach (var server in settings.McpServers)
                {
                    o.Servers[server.Name] = new McpServerOptions
                    {
                        Command = server.Command,
                        Arguments = [.. server.Arguments],
                        Environment = server.Environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.Ordinal),
                    };
                }
            });
        }
    }

    private static string AddStore(IGleitzeitBuilder gleitzeit, CliSettings settings)
    {
        switch (settings.Backend)
        {
            case "memory":
                return "memory (runs are lost when the process ends)";
            case "sqlite":
                var path = settings.GetPath(SettingKeys.SqlitePath);
                gleitzeit.AddSqlite(o => o.DatabasePath = path);
                return $"sqlite ({path})";
            case "redis":
                var url = settings.Get(SettingKeys.RedisUrl);
                gleitzeit.AddRedis(o => o.Configuration = url);
                return $"redis ({url})";
            default:
                throw CliException.Invalid($"Unknown backend '{settings.Backend}'.");
        }
    }

    public async ValueTask DisposeAsync() => await _provider.DisposeAsync().ConfigureAwait(false);
}

/// <summary>With <c>--debug</c>: log lines on stderr.</summary>
internal sealed class StderrLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName);

    public void Dispose()
    {
    }

    private sealed class StderrLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Log lines carry task values (hostile data): control characters are neutralized like every other human output.
            Console.Error.WriteLine(Rendering.TerminalText.Sanitize($"[{logLevel}] {category}: {formatter(state, exception)}"));
            if (exception is not null) Console.Error.WriteLine(Rendering.TerminalText.Sanitize(exception.ToString()));
        }
    }
}
