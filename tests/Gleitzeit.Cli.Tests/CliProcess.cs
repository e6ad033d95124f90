using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Gleitzeit.Cli.Tests;

/// <summary>The outcome of one <c>gleitzeit</c> process.</summary>
internal sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    public JsonNode Json()
    {
        try
        {
            return JsonNode.Parse(StdOut) ?? throw new AssertionException("stdout is JSON null");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new AssertionException($"stdout is not one JSON document ({ex.Message}):\n{StdOut}\nstderr:\n{StdErr}");
        }
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>
/// Runs the built CLI (<c>dotnet gleitzeit.dll</c>, copied next to this test assembly by the project reference) as a real
/// process, with HOME and GLEITZEIT_CONFIG in a temporary directory and no inherited GLEITZEIT_* variables.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    public CliProcess()
    {
        Home = Directory.CreateTempSubdirectory("gleitzeit-cli-").FullName;
        ConfigFile = Path.Combine(Home, "config.yaml");
        WorkDirectory = Directory.CreateDirectory(Path.Combine(Home, "work")).FullName;
        File.WriteAllText(ConfigFile, "persistence:\n  backend: sqlite\n");
    }

    public string Home { get; }

    public string ConfigFile { get; }

    public string WorkDirectory { get; }

    /// <summary>The SQLite database of the default configuration (<c>~/.gleitzeit/gleitzeit.db</c> under the temporary home).</summary>
    public string Database => Path.Combine(Home, ".gleitzeit", "gleitzeit.db");

    /// <summary>Extra environment for every run (GLEITZEIT_* and friends).</summary>
    public Dictionary<string, string?> Environment { get; } = [];

    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "gleitzeit.dll");

    public void WriteConfig(string yaml) => File.WriteAllText(ConfigFile, yaml);

    public string WriteFile(string relative, string content)
    {
        var path = Path.Combine(WorkDirectory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public async Task<CliResult> RunAsync(params string[] args)
    {
        using var process = Start(args);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            // What it printed before it hung is the only trace of where it hung: keep it in the failure.
            var printed = await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : ["", ""]);
            throw new AssertionException($"gleitzeit {string.Join(' ', args)} did not finish within 3 minutes\n--- stdout (end):\n{Tail(printed[0])}\n--- stderr (end):\n{Tail(printed[1])}");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private static string Tail(string text) => text.Length <= 4_000 ? text : "…" + text[^4_000..];

    /// <summary>Starts gleitzeit and returns at once (for a long-running command such as <c>worker</c>).</summary>
    public Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = WorkDirectory,
        };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("GLEITZEIT_", StringComparison.Ordinal) || k == "NO_COLOR").ToList()) start.Environment.Remove(key);
        start.Environment["HOME"] = Home;
        start.Environment["GLEITZEIT_CONFIG"] = ConfigFile;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in Environment) start.Environment[k] = v;
        return Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // A process may still hold a file for a moment; the temp directory is cleaned by the system later.
        }
    }
}
