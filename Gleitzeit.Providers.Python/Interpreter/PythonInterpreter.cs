using System.Collections.Concurrent;
using System.Diagnostics;
using Gleitzeit.Core;

namespace Gleitzeit.Providers.Python.Interpreter;

/// <summary>A python3 interpreter found and asked once for its real executable (behind any pyenv shim) and version.</summary>
internal sealed record PythonInterpreter(string Requested, string Executable, string Version)
{
    public const string EnvironmentVariable = "GLEITZEIT_PYTHON";

    private static readonly ConcurrentDictionary<string, Lazy<Task<PythonInterpreter>>> Cache = new(StringComparer.Ordinal);

    private const string Fix = "Install python3, or set GLEITZEIT_PYTHON or PythonOptions.Interpreter to the path of a python3 interpreter.";

    /// <summary>What the options ask for: the configured value, else GLEITZEIT_PYTHON, else python3 (python on Windows).</summary>
    public static string RequestedName(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return fromEnvironment;
        return OperatingSystem.IsWindows() ? "python" : "python3";
    }

    /// <summary>Finds and probes the interpreter (once per path per process); throws PROVIDER_NOT_AVAILABLE saying where it looked and how to fix it.</summary>
    public static Task<PythonInterpreter> ResolveAsync(string? configured, CancellationToken cancellationToken = default)
    {
        var requested = RequestedName(configured);
        var located = Locate(requested);
        var lazy = Cache.GetOrAdd(located, path => new Lazy<Task<PythonInterpreter>>(() => ProbeAsync(requested, path)));
        var task = lazy.Value;
        if (task.IsFaulted || task.IsCanceled) Cache.TryRemove(new KeyValuePair<string, Lazy<Task<PythonInterpreter>>>(located, lazy));
        return task.WaitAsync(cancellationToken);
    }

    private static string Locate(string requested)
    {
        var hasDirectory = requested.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || requested.Contains(Path.AltDirectorySeparatorChar, StringComparison.Ordinal);
        if (hasDirectory || Path.IsPathRooted(requested))
        {
            var full = Path.GetFullPath(requested);
            if (File.Exists(full)) return full;
            throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                $"Python interpreter '{full}' does not exist. {Fix}");
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var directories = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        string[] extensions = OperatingSystem.IsWindows() ? [".exe", ""] : [""];
        foreach (var directory in directories)
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(directory, requested + extension);
                if (File.Exists(candidate)) return Path.GetFullPath(candidate);
            }
        }
        throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
            $"Python interpreter '{requested}' was not found on PATH ({(directories.Length == 0 ? "PATH is empty" : string.Join(Path.PathSeparator, directories))}). {Fix}");
    }

    private static async Task<PythonInterpreter> ProbeAsync(string requested, string located)
    {
        // Run with the host's environment: a pyenv shim needs its variables to find the real interpreter.
        var start = new ProcessStartInfo(located)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import sys, platform; print(sys.executable); print(platform.python_version()); print(sys.version_info[0])");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable, $"Python interpreter '{located}' could not be started: {ex.Message}. {Fix}", ex);
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable, $"Python interpreter '{located}' did not answer within 60 s. {Fix}");
            }
            var lines = (await stdout.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var errors = (await stderr.ConfigureAwait(false)).Trim();
            if (process.ExitCode != 0 || lines.Length < 3)
            {
                throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                    $"'{located}' does not behave like a python3 interpreter (exit code {process.ExitCode}{(errors.Length > 0 ? ": " + errors : "")}). {Fix}");
            }
            if (lines[2] != "3")
            {
                throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable, $"'{located}' is Python {lines[1]}; python/v1 needs Python 3. {Fix}");
            }
            var minor = lines[1].Split('.') is { Length: > 1 } parts && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var m) ? m : 0;
            if (minor < 8)
            {
                throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable, $"'{located}' is Python {lines[1]}; python/v1 needs Python 3.8 or later. {Fix}");
            }
            var executable = lines[0].Length > 0 && File.Exists(lines[0]) ? lines[0] : located;
            return new PythonInterpreter(requested, executable, lines[1]);
        }
    }
}
