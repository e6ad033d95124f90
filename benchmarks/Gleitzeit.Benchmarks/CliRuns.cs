using System.Diagnostics;

namespace Gleitzeit.Benchmarks;

/// <summary>Wall time of the built CLI (Gleitzeit.Cli/bin/Release/net10.0/gleitzeit.dll): --version and a one-task run.</summary>
internal static class CliRuns
{
    public static async Task MeasureAsync(Report report, bool quick)
    {
        var dll = FindCli();
        if (dll is null)
        {
            report.Note("CLI: skipped — build it first: dotnet build -c Release Gleitzeit.Cli");
            return;
        }
        var dir = Directory.CreateTempSubdirectory("gleitzeit-cli-bench-");
        try
        {
            var file = Path.Combine(dir.FullName, "one.yaml");
            await File.WriteAllTextAsync(file, "name: one\ntasks:\n  - id: hello\n    method: python/execute\n    parameters:\n      code: \"result = 1\"\n");
            var runs = quick ? 3 : 7;
            report.Add("6 cli", "gleitzeit --version", await Macro.RunAsync(1, runs, 1, () => RunAsync(dll, dir.FullName, "--version")));
            report.Add("6 cli", "gleitzeit run (one python task)", await Macro.RunAsync(1, runs, 1, () => RunAsync(dll, dir.FullName, "run", file)));
        }
        finally { dir.Delete(recursive: true); }
    }

    private static string? FindCli()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "Gleitzeit.Cli", "bin", "Release", "net10.0", "gleitzeit.dll");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static async Task RunAsync(string dll, string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"gleitzeit {string.Join(' ', args)} exited {p.ExitCode}: {await stderr}{await stdout}");
    }
}
