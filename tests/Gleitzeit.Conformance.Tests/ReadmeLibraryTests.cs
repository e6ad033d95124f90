using System.Diagnostics;
using System.IO.Compression;
using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Gleitzeit.Conformance.Tests;

/// <summary>
/// The README's library quick start compiles as pasted: its <c>dotnet add package</c> lines are the only package
/// references, its C# blocks (in order, as one Program.cs) are the only code, and the Gleitzeit packages come from a
/// local feed packed from this build (as the README says to do). Without Ollama the program fails visibly, naming the task.
/// </summary>
[Category("slow")]
public sealed partial class ReadmeLibraryTests
{
    private string _work = null!;

    [SetUp]
    public void CreateWorkDirectory() => _work = Directory.CreateTempSubdirectory("gleitzeit-readme-").FullName;

    [TearDown]
    public void RemoveWorkDirectory() => Directory.Delete(_work, recursive: true);

    private static string QuickStart()
    {
        var readme = File.ReadAllText(Path.Combine(Locations.RepositoryRoot, "README.md"));
        var start = readme.IndexOf("## Quick start: the library", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README.md has no '## Quick start: the library' section");
        var end = readme.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }

    [Test]
    public async Task The_library_quick_start_compiles_against_the_packed_packages_and_fails_visibly_without_ollama()
    {
        var section = QuickStart();
        var packages = AddPackageLine().Matches(section).Select(m => m.Groups[1].Value).ToList();
        var code = string.Join("\n", CSharpBlock().Matches(section).Select(m => m.Groups[1].Value));
        Assert.That(packages, Has.Some.StartsWith("Gleitzeit."), "the quick start names no Gleitzeit package to add");
        Assert.That(code, Is.Not.Empty, "the quick start has no C# block");

        // Pack the Gleitzeit packages it names, with a version of their own so no cached 0.1.0 is picked up instead.
        var version = "0.1.0-readme.t" + Guid.NewGuid().ToString("N")[..8];
        var feed = Directory.CreateDirectory(Path.Combine(_work, "feed")).FullName;
        var configuration = typeof(ReadmeLibraryTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        foreach (var package in packages.Where(p => p.StartsWith("Gleitzeit.", StringComparison.Ordinal)))
        {
            var project = Path.Combine(Locations.RepositoryRoot, package, package + ".csproj");
            Assert.That(File.Exists(project), Is.True, $"README adds package {package}, but there is no project {project}");
            var pack = await RunAsync(_work, "pack", project, "-c", configuration, "--no-build", "-o", feed, $"-p:Version={version}", "-nologo");
            Assert.That(pack.ExitCode, Is.EqualTo(0), $"dotnet pack {package}:\n{pack}");
            using var nupkg = ZipFile.OpenRead(Path.Combine(feed, $"{package}.{version}.nupkg"));
            Assert.That(nupkg.Entries.Select(e => e.FullName), Does.Contain("README.md"), $"{package} is packed without its README");
        }

        var central = File.ReadAllText(Path.Combine(Locations.RepositoryRoot, "Directory.Packages.props"));
        string VersionOf(string package)
        {
            if (package.StartsWith("Gleitzeit.", StringComparison.Ordinal)) return version;
            var match = Regex.Match(central, $@"<PackageVersion Include=""{Regex.Escape(package)}"" Version=""([^""]+)""");
            Assert.That(match.Success, Is.True, $"README adds {package}, which Directory.Packages.props does not pin (add it there so this test builds offline)");
            return match.Groups[1].Value;
        }

        // The app as `dotnet new console` makes it, with the README's packages; restored into a cache of its own,
        // falling back to the machine's package folder for everything that is not ours.
        var app = Directory.CreateDirectory(Path.Combine(_work, "HaikuApp")).FullName;
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(app, "HaikuApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <RestorePackagesPath>{Path.Combine(_work, "packages-cache")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{globalPackages}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
            {string.Join("\n", packages.Select(pkg => $"    <PackageReference Include=\"{pkg}\" Version=\"{VersionOf(pkg)}\" />"))}
              </ItemGroup>
            </Project>
            """);
        WriteFeedConfig(app, feed);
        File.WriteAllText(Path.Combine(app, "Program.cs"), code);

        var build = await RunAsync(app, "build", "-c", "Release", "-nologo");
        Assert.That(build.ExitCode, Is.EqualTo(0), $"the README's C# does not build as pasted:\n{code}\n{build}");

        if (OllamaAnswers())
        {
            Assert.Pass("Built. Not run: an Ollama answers at localhost:11434 here, so the offline path cannot be checked.");
        }
        var run = await ProcessRunner.RunDllAsync(Path.Combine(app, "bin", "Release", "net10.0", "HaikuApp.dll"), [], app);
        Assert.That(run.ExitCode, Is.Not.EqualTo(0), $"without Ollama the quick start must fail, not end quietly:\n{run}");
        Assert.That(run.StdErr, Does.Contain("Workflow 'haiku' (wf-").And.Contain("task 'poem' failed: ").And.Contain("task 'count' skipped"), run.ToString());
        Assert.That(run.StdOut.Trim(), Is.Empty, "nothing is printed as if it had worked");
    }

    [Test]
    public void Every_packable_project_has_a_readme_for_its_package()
    {
        var packable = Directory.GetFiles(Locations.RepositoryRoot, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}tests{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}benchmarks{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !File.ReadAllText(p).Contains("<IsPackable>false</IsPackable>", StringComparison.Ordinal))
            .ToList();
        Assert.That(packable.Select(Path.GetFileNameWithoutExtension), Does.Contain("Gleitzeit.Core").And.Contain("Gleitzeit.Cli"));

        var missing = packable.Where(p => !File.Exists(Path.Combine(Path.GetDirectoryName(p)!, "README.md"))).ToList();
        Assert.That(missing, Is.Empty, "packable projects without README.md (packed as the package's readme)");
        foreach (var project in packable)
        {
            var readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(project)!, "README.md"));
            Assert.That(readme, Does.StartWith("# " + Path.GetFileNameWithoutExtension(project)), $"{project}: the README starts with the package name");
        }
    }

    private static bool OllamaAnswers()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", 11434);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A nuget.config in <paramref name="app"/> restoring our packages from the local <paramref name="feed"/> first.</summary>
    internal static void WriteFeedConfig(string app, string feed) =>
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

    internal static async Task<ProcessResult> RunAsync(string workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo(Locations.DotNet)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        // The test host's MSBuild settings would leak into the child build.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "MSBUILD_EXE_PATH").ToList()) info.Environment.Remove(key);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', arguments)} did not end within 8 minutes");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    [GeneratedRegex(@"^dotnet add package ([\w.]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AddPackageLine();

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
