using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using Gleitzeit.TestServers.Ollama;
using Gleitzeit.TestServers.OpenAI;

namespace Gleitzeit.Conformance.Tests;

/// <summary>
/// The packed packages as an application on the lowest Microsoft.Extensions.* they claim to support sees them: packed from
/// this build into a local feed, restored into an app that pins Microsoft.Extensions.* at 10.0.0 or at the documented
/// raised floor (so a floor above the pin would be NU1605, an error), built, and run. Two apps: Core, Python and SQLite
/// (a Python task stored in SQLite), and the LLM providers, Ollama and OpenAI (an <c>llm/chat</c> task on each, against
/// the test servers over HTTP). docs/hosting.md (Packages) lists the same floors.
/// </summary>
[Category("slow")]
public sealed class PackageConsumerTests
{
    // Core references Microsoft.Extensions.AI 10.5.0 (ChatClientBuilder; the lowest 10.x release), which requires these
    // two at 10.0.6: Core's only floors above 10.0.0, and the versions the first app pins them at.
    private static readonly Dictionary<string, string> CoreFloors = new(StringComparer.Ordinal)
    {
        ["Microsoft.Extensions.DependencyInjection.Abstractions"] = "10.0.6",
        ["Microsoft.Extensions.Logging.Abstractions"] = "10.0.6",
    };

    // The providers' own Microsoft.Extensions.* references are at 10.0.0 (Http: IHttpClientFactory); what they pull in
    // is higher: OllamaSharp 5.5.2 requires Microsoft.Extensions.AI 10.8.0 (DependencyInjection.Abstractions and
    // Logging.Abstractions >= 10.0.10), the OpenAI SDK 2.10.0 System.ClientModel 1.10.0 (Hosting.Abstractions and
    // Configuration.Abstractions >= 10.0.3). The second app pins exactly those, and the rest at 10.0.0.
    private static readonly Dictionary<string, string> ProviderFloors = new(StringComparer.Ordinal)
    {
        ["Microsoft.Extensions.DependencyInjection.Abstractions"] = "10.0.10",
        ["Microsoft.Extensions.Logging.Abstractions"] = "10.0.10",
        ["Microsoft.Extensions.Hosting.Abstractions"] = "10.0.3",
        ["Microsoft.Extensions.Configuration.Abstractions"] = "10.0.3",
        ["Microsoft.Extensions.Options"] = "10.0.3", // what Hosting.Abstractions 10.0.3 itself requires
        ["Microsoft.Extensions.Http"] = "10.0.0",
    };

    private string _work = null!;

    [SetUp]
    public void CreateWorkDirectory() => _work = Directory.CreateTempSubdirectory("gleitzeit-consumer-").FullName;

    [TearDown]
    public void RemoveWorkDirectory() => Directory.Delete(_work, recursive: true);

    [Test]
    public async Task An_app_pinned_to_Microsoft_Extensions_10_0_0_restores_builds_and_runs_the_packed_packages()
    {
        var app = await CreateAppAsync(["Gleitzeit.Core", "Gleitzeit.Providers.Python", "Gleitzeit.Persistence.Sqlite"], CoreFloors, """"
            using Gleitzeit.Core;
            using Gleitzeit.Core.Definitions;
            using Gleitzeit.Core.Execution;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            services.AddGleitzeit().AddPython().AddSqlite(o => o.DatabasePath = args[0]);
            await using var sp = services.BuildServiceProvider();
            var workflow = WorkflowLoader.Parse("""
                name: consumer
                tasks:
                  - id: answer
                    method: python/execute
                    parameters:
                      code: "result = 6 * 7"
                """);
            var run = await sp.GetRequiredService<ExecutionEngine>().RunAsync(workflow);
            Console.WriteLine($"{run.Status} {run.GetResult("answer")?["result"]}");
            return run.Status == WorkflowStatus.Completed ? 0 : 1;
            """");

        var run = await ProcessRunner.RunDllAsync(app, [Path.Combine(_work, "runs.db")], Path.GetDirectoryName(app)!);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StdOut.Trim(), Is.EqualTo("Completed 42"), run.ToString());
    }

    [Test]
    public async Task An_app_pinned_to_the_providers_floors_restores_builds_and_chats_through_Ollama_and_OpenAI()
    {
        var app = await CreateAppAsync(["Gleitzeit.Core", "Gleitzeit.Providers.Ollama", "Gleitzeit.Providers.OpenAI"], ProviderFloors, """"
            using Gleitzeit.Core;
            using Gleitzeit.Core.Definitions;
            using Gleitzeit.Core.Execution;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            services.AddGleitzeit()
                .AddOllama(o => o.Endpoint = new Uri(args[0]))
                .AddOpenAI(o => { o.Endpoint = new Uri(args[1]); o.ApiKey = "sk-consumer"; o.Models = ["gpt-*"]; });
            await using var sp = services.BuildServiceProvider();
            var workflow = WorkflowLoader.Parse("""
                name: consumer-llm
                tasks:
                  - { id: local, method: llm/chat, params: { model: llama3.2, prompt: "from ollama" } }
                  - { id: hosted, method: llm/chat, params: { model: gpt-4o-mini, prompt: "from openai" } }
                """);
            var run = await sp.GetRequiredService<ExecutionEngine>().RunAsync(workflow);
            Console.WriteLine($"{run.Status} {run.GetResult("local")?["response"]} / {run.GetResult("hosted")?["response"]} {run.Error}");
            return run.Status == WorkflowStatus.Completed ? 0 : 1;
            """");
        await using var ollama = await OllamaTestServer.StartAsync();
        await using var openai = await OpenAITestServer.StartAsync(apiKey: "sk-consumer");

        var run = await ProcessRunner.RunDllAsync(app, [ollama.BaseUri.ToString(), openai.BaseUri.ToString()], Path.GetDirectoryName(app)!);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StdOut.Trim(), Is.EqualTo("Completed from ollama / from openai"), run.ToString());
        Assert.That(ollama.RequestsTo("/api/chat"), Has.Count.EqualTo(1));
        Assert.That(openai.ChatRequests, Has.Count.EqualTo(1));
    }

    /// <summary>
    /// Packs <paramref name="packages"/> into a local feed (checking their metadata and that every Microsoft.Extensions.*
    /// dependency they declare is 10.0.0, or for Core its documented floor), then builds an app on them pinned to <paramref name="floors"/>
    /// (the other Microsoft.Extensions.* it names at 10.0.0); returns the app's dll.
    /// </summary>
    private async Task<string> CreateAppAsync(string[] packages, Dictionary<string, string> floors, string program)
    {
        var version = "1.0.0-consumer.t" + Guid.NewGuid().ToString("N")[..8];
        var feed = Directory.CreateDirectory(Path.Combine(_work, "feed")).FullName;
        var configuration = typeof(PackageConsumerTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        foreach (var package in packages)
        {
            var pack = await ReadmeLibraryTests.RunAsync(_work, "pack", Path.Combine(Locations.RepositoryRoot, package, package + ".csproj"),
                "-c", configuration, "--no-build", "-o", feed, $"-p:Version={version}", "-nologo");
            Assert.That(pack.ExitCode, Is.EqualTo(0), $"dotnet pack {package}:\n{pack}");
            using var nupkg = ZipFile.OpenRead(Path.Combine(feed, $"{package}.{version}.nupkg"));
            Assert.That(nupkg.Entries.Select(e => e.FullName), Does.Contain("README.md"), package);
            var nuspec = XDocument.Load(nupkg.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var ns = nuspec.Root!.GetDefaultNamespace();
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.That(metadata.Element(ns + "description")!.Value, Has.Length.GreaterThan(40), $"{package}: a real description");
            Assert.That(metadata.Element(ns + "tags")?.Value, Is.Not.Null.And.Not.Empty, $"{package}: tags");
            Assert.That(metadata.Element(ns + "repository")?.Attribute("url")?.Value, Is.EqualTo("https://github.com/gleitzeit/gleitzeit-dotnet"), $"{package}: repository URL");
            Assert.That(metadata.Element(ns + "projectUrl")?.Value, Is.EqualTo("https://github.com/gleitzeit/gleitzeit-dotnet"), $"{package}: project URL");
            var declared = metadata.Descendants(ns + "dependency")
                .Where(d => ((string?)d.Attribute("id"))!.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal)
                    && !((string?)d.Attribute("id"))!.StartsWith("Microsoft.Extensions.AI", StringComparison.Ordinal))
                .Select(d => $"{d.Attribute("id")!.Value} {d.Attribute("version")!.Value}").ToList();
            // Only Core declares floors above 10.0.0 (CoreFloors); every other package declares 10.0.0 for its own references.
            var raised = package == "Gleitzeit.Core" ? CoreFloors : [];
            Assert.That(declared.Where(f => !f.EndsWith(" 10.0.0", StringComparison.Ordinal) && !raised.Any(r => f == $"{r.Key} {r.Value}")), Is.Empty,
                $"{package}: Microsoft.Extensions.* floors above 10.0.0");
        }

        var app = Directory.CreateDirectory(Path.Combine(_work, "ConsumerApp")).FullName;
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        // Pinned directly, so a package needing more is NU1605 (an error with TreatWarningsAsErrors).
        var pins = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Microsoft.Extensions.DependencyInjection"] = "10.0.0",
            ["Microsoft.Extensions.Options"] = "10.0.0",
            ["Microsoft.Extensions.Hosting.Abstractions"] = "10.0.0",
        };
        foreach (var (id, floor) in floors) pins[id] = floor;
        File.WriteAllText(Path.Combine(app, "ConsumerApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <RestorePackagesPath>{Path.Combine(_work, "packages-cache")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{globalPackages}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
            {string.Join("\n", packages.Select(pkg => $"    <PackageReference Include=\"{pkg}\" Version=\"{version}\" />"))}
            {string.Join("\n", pins.Select(pin => $"    <PackageReference Include=\"{pin.Key}\" Version=\"{pin.Value}\" />"))}
              </ItemGroup>
            </Project>
            """);
        ReadmeLibraryTests.WriteFeedConfig(app, feed);
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);

        var build = await ReadmeLibraryTests.RunAsync(app, "build", "-c", "Release", "-nologo");
        Assert.That(build.ExitCode, Is.EqualTo(0), $"the consumer app does not restore or build on its pinned Microsoft.Extensions.* versions:\n{build}");
        return Path.Combine(app, "bin", "Release", "net10.0", "ConsumerApp.dll");
    }
}
