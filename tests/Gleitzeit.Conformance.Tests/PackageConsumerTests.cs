using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;

namespace Gleitzeit.Conformance.Tests;

/// <summary>
/// The packed packages as an application on the lowest Microsoft.Extensions.* they claim to support sees them: packed from
/// this build into a local feed, restored into an app that pins Microsoft.Extensions.* at 10.0.0 (so a floor above it would
/// be NU1605, an error), built, and run: a Python task whose run is stored in SQLite.
/// </summary>
[Category("slow")]
public sealed class PackageConsumerTests
{
    private static readonly string[] Packages = ["Gleitzeit.Core", "Gleitzeit.Providers.Python", "Gleitzeit.Persistence.Sqlite"];

    // Core references Microsoft.Extensions.AI 10.11 (the llm/v1 tool loop), which requires these two at 10.0.13: the only
    // floors above 10.0.0, and the versions the app below pins them at.
    private static readonly Dictionary<string, string> RaisedFloors = new(StringComparer.Ordinal)
    {
        ["Microsoft.Extensions.DependencyInjection.Abstractions"] = "10.0.13",
        ["Microsoft.Extensions.Logging.Abstractions"] = "10.0.13",
    };

    private string _work = null!;

    [SetUp]
    public void CreateWorkDirectory() => _work = Directory.CreateTempSubdirectory("gleitzeit-consumer-").FullName;

    [TearDown]
    public void RemoveWorkDirectory() => Directory.Delete(_work, recursive: true);

    [Test]
    public async Task An_app_pinned_to_Microsoft_Extensions_10_0_0_restores_builds_and_runs_the_packed_packages()
    {
        var version = "1.0.0-consumer.t" + Guid.NewGuid().ToString("N")[..8];
        var feed = Directory.CreateDirectory(Path.Combine(_work, "feed")).FullName;
        var configuration = typeof(PackageConsumerTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        foreach (var package in Packages)
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
            Assert.That(metadata.Element(ns + "repository")?.Attribute("url")?.Value, Does.StartWith("https://"), $"{package}: repository URL");
            var floors = metadata.Descendants(ns + "dependency")
                .Where(d => ((string?)d.Attribute("id"))!.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal)
                    && !((string?)d.Attribute("id"))!.StartsWith("Microsoft.Extensions.AI", StringComparison.Ordinal))
                .Select(d => $"{d.Attribute("id")!.Value} {d.Attribute("version")!.Value}").ToList();
            Assert.That(floors.Where(f => !f.EndsWith(" 10.0.0", StringComparison.Ordinal) && !RaisedFloors.Any(r => f == $"{r.Key} {r.Value}")), Is.Empty,
                $"{package}: Microsoft.Extensions.* floors above 10.0.0");
        }

        var app = Directory.CreateDirectory(Path.Combine(_work, "ConsumerApp")).FullName;
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
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
            {string.Join("\n", Packages.Select(pkg => $"    <PackageReference Include=\"{pkg}\" Version=\"{version}\" />"))}
                <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.0" />
                <PackageReference Include="Microsoft.Extensions.DependencyInjection.Abstractions" Version="{RaisedFloors["Microsoft.Extensions.DependencyInjection.Abstractions"]}" />
                <PackageReference Include="Microsoft.Extensions.Logging.Abstractions" Version="{RaisedFloors["Microsoft.Extensions.Logging.Abstractions"]}" />
                <PackageReference Include="Microsoft.Extensions.Options" Version="10.0.0" />
                <PackageReference Include="Microsoft.Extensions.Hosting.Abstractions" Version="10.0.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="gleitzeit-local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """"
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

        var build = await ReadmeLibraryTests.RunAsync(app, "build", "-c", "Release", "-nologo");
        Assert.That(build.ExitCode, Is.EqualTo(0), $"the consumer app does not restore or build on Microsoft.Extensions.* 10.0.0:\n{build}");
        var run = await ProcessRunner.RunDllAsync(Path.Combine(app, "bin", "Release", "net10.0", "ConsumerApp.dll"), [Path.Combine(_work, "runs.db")], app);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StdOut.Trim(), Is.EqualTo("Completed 42"), run.ToString());
    }
}
