using System.Diagnostics;

namespace Gleitzeit.Conformance.Tests;

/// <summary>The outcome of one process.</summary>
internal sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>Runs <c>dotnet DLL ARGS</c> as a real process with a temporary HOME and no inherited GLEITZEIT_* variables.</summary>
internal static class ProcessRunner
{
    public static async Task<ProcessResult> RunDllAsync(string dll, IEnumerable<string> arguments, string workingDirectory, IDictionary<string, string?>? environment = null)
    {
        var home = Directory.CreateTempSubdirectory("gleitzeit-home-").FullName;
        try
        {
            var info = new ProcessStartInfo(Locations.DotNet)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(dll);
            foreach (var a in arguments) info.ArgumentList.Add(a);
            foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("GLEITZEIT_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(key);
            info.Environment["HOME"] = home;
            info.Environment["NO_COLOR"] = "1";
            foreach (var (key, value) in environment ?? new Dictionary<string, string?>()) info.Environment[key] = value;

            using var process = Process.Start(info)!;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"dotnet {dll} {string.Join(' ', arguments)} did not end within 3 minutes.\n{await stdout}\n{await stderr}");
            }
            return new ProcessResult(process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
