using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gleitzeit.Conformance.Tests;

/// <summary>
/// Native AOT: tests/Gleitzeit.AotApp (Core, Python, SQLite; <c>PublishAot=true</c>) is published with
/// <c>dotnet publish -c Release -r linux-x64</c>, the ILCompiler reports no trim or AOT warning (IL2xxx / IL3xxx) from a
/// Gleitzeit assembly, and the native binary runs a YAML workflow whose Python task reads the previous task's result, then
/// one whose MCP tool call (the server "everything", over stdio) reads a Python task's result.
/// Needs clang (the native linker) and zlib1g-dev; skipped, saying so, where clang is missing or the machine is not linux-x64.
/// </summary>
[Category("slow")]
public sealed partial class NativeAotTests
{
    private string _work = null!;

    [SetUp]
    public void CreateWorkDirectory() => _work = Directory.CreateTempSubdirectory("gleitzeit-aot-").FullName;

    [TearDown]
    public void RemoveWorkDirectory() => Directory.Delete(_work, recursive: true);

    [Test]
    public async Task The_AOT_app_publishes_without_Gleitzeit_trim_or_AOT_warnings_and_its_native_binary_runs_a_workflow()
    {
        if (RuntimeInformation.OSArchitecture != Architecture.X64 || !OperatingSystem.IsLinux())
            Assert.Ignore($"Native AOT is tested for linux-x64 only; this machine is {RuntimeInformation.RuntimeIdentifier}.");
        if (FindOnPath("clang") is null)
            Assert.Ignore("clang is not on PATH: Native AOT links with clang (apt-get install clang zlib1g-dev; .ci/run installs them).");

        var configuration = typeof(NativeAotTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var publishDirectory = Path.Combine(_work, "publish");
        // The libraries are already built by this test project's references: publishing must not rebuild them under
        // test processes that are loading them.
        var publish = await ReadmeLibraryTests.RunAsync(_work, "publish",
            Path.Combine(Locations.RepositoryRoot, "tests", "Gleitzeit.AotApp", "Gleitzeit.AotApp.csproj"),
            "-c", configuration, "-r", "linux-x64", "-o", publishDirectory, "-p:BuildProjectReferences=false", "-nologo");
        Assert.That(publish.ExitCode, Is.EqualTo(0), $"dotnet publish of the AOT app failed:\n{publish}");

        var ilWarnings = IlWarning().Matches(publish.StdOut + "\n" + publish.StdErr).Select(m => m.Value.Trim()).Distinct().ToList();
        Assert.That(ilWarnings.Where(w => w.Contains("Gleitzeit", StringComparison.Ordinal)), Is.Empty,
            "trim / AOT warnings from Gleitzeit assemblies:\n" + string.Join("\n", ilWarnings));

        var binary = Path.Combine(publishDirectory, "Gleitzeit.AotApp");
        Assert.That(File.Exists(binary), Is.True, $"no native executable at {binary}:\n{publish}");
        Assert.That(File.Exists(Path.Combine(publishDirectory, "Gleitzeit.AotApp.dll")), Is.False, "the publish output is IL, not native");

        var database = Path.Combine(_work, "runs.db");
        var run = await RunNativeAsync(binary, database);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var output = JsonNode.Parse(run.StdOut.Trim())!;
        Assert.That(output["status"]!.GetValue<string>(), Is.EqualTo("Completed"), run.ToString());
        Assert.That(output["task"]!.GetValue<string>(), Is.EqualTo("sum"), run.ToString());
        Assert.That(JsonNode.DeepEquals(output["result"]!["result"], JsonNode.Parse("""{"label":"squares","sum":50}""")), Is.True, run.ToString());
        Assert.That(new FileInfo(database).Length, Is.GreaterThan(0), "the run was not stored in SQLite");

        // mcp/v1 natively: the MCP SDK and Gleitzeit.Providers.Mcp over stdio, a tool call whose arguments are references.
        var server = Path.Combine(Locations.RepositoryRoot, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
        if (!File.Exists(server)) Assert.Fail($"{server} is missing: run `npm ci` in the repository root (test.sh does).");
        var mcp = await RunNativeAsync(binary, Path.Combine(_work, "mcp.db"), Path.Combine(publishDirectory, "mcp_workflow.yaml"), server);
        Assert.That(mcp.ExitCode, Is.EqualTo(0), mcp.ToString());
        var mcpOutput = JsonNode.Parse(mcp.StdOut.Trim())!;
        Assert.That(mcpOutput["status"]!.GetValue<string>(), Is.EqualTo("Completed"), mcp.ToString());
        Assert.That(mcpOutput["result"]!["response"]!.GetValue<string>(), Is.EqualTo("The sum of 19 and 23 is 42."), mcp.ToString());
    }

    // An ILCompiler / ILLink warning: "... warning IL2026: ..." or "... warning IL3050: ...".
    [GeneratedRegex(@"^.*warning IL[23]\d{3}\b.*$", RegexOptions.Multiline)]
    private static partial Regex IlWarning();

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private async Task<ProcessResult> RunNativeAsync(string binary, params string[] arguments)
    {
        var info = new ProcessStartInfo(binary)
        {
            WorkingDirectory = _work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("GLEITZEIT_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(key);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the native AOT app did not end within 2 minutes:\n{await stdout}\n{await stderr}");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
