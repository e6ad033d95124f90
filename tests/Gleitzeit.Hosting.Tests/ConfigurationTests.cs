using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Batch;
using Gleitzeit.Core.Llm;
using Gleitzeit.Persistence.Redis;
using Gleitzeit.Persistence.Sqlite;
using Gleitzeit.Providers.Mcp;
using Gleitzeit.Providers.Ollama;
using Gleitzeit.Providers.Python;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Hosting.Tests;

/// <summary>
/// Every package's options bound from one <c>Gleitzeit</c> configuration section: the appsettings.json example in
/// docs/hosting.md is the input, so the documented keys are the ones that work, and every option is documented.
/// </summary>
public sealed class ConfigurationTests
{
    private static readonly (string Section, Type Options)[] Sections =
    [
        ("", typeof(GleitzeitOptions)), ("Batch", typeof(BatchOptions)), ("Llm", typeof(LlmOptions)), ("Ollama", typeof(OllamaOptions)),
        ("Python", typeof(PythonOptions)), ("Sqlite", typeof(SqliteStoreOptions)), ("Redis", typeof(RedisStoreOptions)),
        ("Worker", typeof(GleitzeitWorkerOptions)), ("Mcp", typeof(McpOptions)),
    ];

    [Test]
    public void The_documented_appsettings_example_binds_every_package_option()
    {
        // The documented directories exist on a server, not here: the validator checks them, so point them somewhere real.
        var json = DocumentedJson();
        var pythonJson = (JsonObject)json["Gleitzeit"]!["Python"]!;
        pythonJson["ScriptsDirectory"] = Path.GetTempPath();
        pythonJson["WorkingDirectory"] = Path.GetTempPath();
        using var host = BuildHost(json.ToJsonString());
        var sp = host.Services;

        var core = sp.GetRequiredService<IOptions<GleitzeitOptions>>().Value;
        Assert.That((core.MaxConcurrency, core.DefaultTaskTimeout, core.ResumeUnfinishedRunsOnStart, core.RunLeaseDuration, core.MaxWorkflowFileBytes),
            Is.EqualTo((16, TimeSpan.FromMinutes(2), true, TimeSpan.FromSeconds(45), 1048576)));
        Assert.That(core.DefaultRetry, Is.EqualTo(new RetryPolicy { MaxAttempts = 5, InitialDelay = TimeSpan.FromSeconds(2), BackoffFactor = 3, MaxDelay = TimeSpan.FromMinutes(1), Jitter = false }));
        var batch = sp.GetRequiredService<IOptions<BatchOptions>>().Value;
        Assert.That((batch.MaxFileSize, batch.MaxConcurrent, batch.ResultsDirectory), Is.EqualTo((2097152L, 3, "/var/lib/gleitzeit/batch")));
        var llm = sp.GetRequiredService<IOptions<LlmOptions>>().Value;
        Assert.That((llm.DefaultModel, llm.ServiceName, llm.MaxImageBytes), Is.EqualTo(("gpt-4o-mini", "OpenAI", 5242880L)));
        var ollama = sp.GetRequiredService<IOptions<OllamaOptions>>().Value;
        Assert.That((ollama.Endpoint, ollama.DefaultModel, ollama.MaxConcurrency, ollama.RequestTimeout, ollama.KeepAlive),
            Is.EqualTo((new Uri("http://ollama.internal:11434"), "llama3.1:8b", 2, TimeSpan.FromMinutes(3), (TimeSpan?)TimeSpan.FromMinutes(10))));
        var python = sp.GetRequiredService<IOptions<PythonOptions>>().Value;
        Assert.That((python.Interpreter, python.Workers, python.Isolation, python.MemoryLimitBytes, python.Environment["TZ"]),
            Is.EqualTo(("/usr/bin/python3", 4, PythonIsolation.Process, (long?)536870912, "UTC")));
        var sqlite = sp.GetRequiredService<IOptions<SqliteStoreOptions>>().Value;
        Assert.That((sqlite.DatabasePath, sqlite.Synchronous, sqlite.BusyTimeout, sqlite.MaxBatchSize),
            Is.EqualTo(("/var/lib/gleitzeit/gleitzeit.db", SqliteSynchronousMode.Full, TimeSpan.FromSeconds(10), 1024)));
        var redis = sp.GetRequiredService<IOptions<RedisStoreOptions>>().Value;
        Assert.That((redis.KeyPrefix, redis.ConnectTimeout), Is.EqualTo(("orders:", TimeSpan.FromSeconds(3))));
        var worker = sp.GetRequiredService<IOptions<GleitzeitWorkerOptions>>().Value;
        Assert.That((worker.Concurrency, worker.ConsumerName, worker.LeaseTime), Is.EqualTo((8, "worker-a", TimeSpan.FromMinutes(1))));
        Assert.That(worker.PerWorkerBoundProviders, Is.EquivalentTo(new[] { "python", "ollama" }), "a configured list replaces the default, it does not add to it");
        var mcp = sp.GetRequiredService<IOptions<McpOptions>>().Value;
        Assert.That(mcp.Servers.Keys, Is.EquivalentTo(new[] { "files", "search" }));
        Assert.That(mcp.Servers["files"].Arguments, Is.EqualTo(new[] { "-y", "@modelcontextprotocol/server-filesystem", "/srv/data" }));
        Assert.That((mcp.Servers["files"].MaxConcurrency, mcp.Servers["files"].CallTimeout), Is.EqualTo((4, (TimeSpan?)TimeSpan.FromMinutes(1))));
        Assert.That(mcp.Servers["search"].Endpoint, Is.EqualTo(new Uri("https://mcp.example.com/mcp")));
        Assert.That(mcp.Servers["search"].Headers["authorization"], Is.EqualTo("Bearer from-a-secret-store"));
    }

    [Test]
    public void The_documented_example_names_every_option_of_every_package()
    {
        var gleitzeit = (JsonObject)DocumentedJson()["Gleitzeit"]!;
        var missing = new List<string>();
        foreach (var (section, type) in Sections)
        {
            var node = section.Length == 0 ? gleitzeit : (JsonObject)gleitzeit[section]!;
            if (type == typeof(McpOptions)) node = (JsonObject)((JsonObject)node["Servers"]!)["files"]!;
            var optionType = type == typeof(McpOptions) ? typeof(McpServerOptions) : type;
            foreach (var property in optionType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var bindable = (property.CanWrite || (property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(IDictionary<,>)))
                    && !typeof(Delegate).IsAssignableFrom(property.PropertyType);
                if (bindable && !node.ContainsKey(property.Name) && !(optionType == typeof(McpServerOptions) && property.Name is "Endpoint" or "Headers"))
                {
                    missing.Add($"{section}:{property.Name}");
                }
            }
        }
        Assert.That(missing, Is.Empty, "options missing from the appsettings.json example in docs/hosting.md");
    }

    [Test]
    public async Task Invalid_options_of_every_package_are_reported_together_when_the_host_starts()
    {
        const string json = """
            { "Gleitzeit": { "MaxConcurrency": 0, "Ollama": { "MaxConcurrency": 0 }, "Python": { "Workers": 0 }, "Sqlite": { "MaxBatchSize": 0 } } }
            """;
        using var host = BuildHost(json, worker: false, llm: false);

        var ex = (await Assert.CatchAsync(() => host.StartAsync()))!;

        var failures = (ex is AggregateException a ? a.InnerExceptions : [ex]).OfType<OptionsValidationException>().SelectMany(e => e.Failures).ToList();
        Assert.That(failures, Has.Some.Contains("GleitzeitOptions.MaxConcurrency"), ex.ToString());
        Assert.That(failures, Has.Some.Contains("OllamaOptions.MaxConcurrency"), ex.ToString());
        Assert.That(failures, Has.Some.Contains("PythonOptions.Workers"), ex.ToString());
        Assert.That(failures, Has.Some.Contains("SqliteStoreOptions.MaxBatchSize"), ex.ToString());
        Assert.That(ex.StackTrace ?? "", Does.Not.Contain("ServiceProvider").And.Not.Contain("CallSite"), "reported by the start-up validation, not from inside a service's construction");
    }

    private static IHost BuildHost(string json, bool worker = true, bool llm = true)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        var section = builder.Configuration.GetSection("Gleitzeit");
        var gleitzeit = builder.Services.AddGleitzeit(section);
        if (llm) gleitzeit.AddLlm(section.GetSection("Llm"));
        gleitzeit.AddOllama(section.GetSection("Ollama"))
            .AddPython(section.GetSection("Python"))
            .AddMcp(section.GetSection("Mcp"))
            .AddSqlite(section.GetSection("Sqlite"));
        if (worker) gleitzeit.AddRedis(section.GetSection("Redis")).AddGleitzeitWorker(section.GetSection("Worker"));
        return builder.Build();
    }

    private static string DocumentedExample()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "hosting.md"));
        const string start = "<!-- appsettings-example -->\n```json\n";
        var from = doc.IndexOf(start, StringComparison.Ordinal);
        Assert.That(from, Is.GreaterThanOrEqualTo(0), "docs/hosting.md has the marked appsettings.json example");
        from += start.Length;
        return doc[from..doc.IndexOf("```", from, StringComparison.Ordinal)];
    }

    private static JsonObject DocumentedJson() => (JsonObject)JsonNode.Parse(DocumentedExample())!;

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gleitzeit.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (with Gleitzeit.sln) is not above " + AppContext.BaseDirectory);
    }
}
