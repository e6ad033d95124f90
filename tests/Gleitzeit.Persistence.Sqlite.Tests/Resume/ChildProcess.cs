using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Gleitzeit.Persistence.Sqlite.Tests.Resume;

/// <summary>The parent's handle on a <see cref="CrashChild"/>: reads its lines, releases its tasks, kills it.</summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _seen = [];

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.Writer.TryComplete();
            else _lines.Writer.TryWrite(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public static ChildProcess Start(string databasePath, string sideEffectDirectory, string runId, string flag = CrashChild.Flag) =>
        StartWith(flag, databasePath, sideEffectDirectory, runId);

    /// <summary>Starts this assembly as a child process with <paramref name="flag"/> and <paramref name="args"/>.</summary>
    public static ChildProcess StartWith(string flag, params string[] args)
    {
        var assembly = typeof(CrashChild).Assembly.Location;
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { assembly, flag }.Concat(args)) info.ArgumentList.Add(arg);
        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the child process"));
    }

    /// <summary>Reads lines until each of <paramref name="expected"/> has appeared (in any order).</summary>
    public async Task WaitForAsync(params string[] expected)
    {
        using var guard = new CancellationTokenSource(Patience);
        var missing = new HashSet<string>(expected.Where(e => !_seen.Contains(e)), StringComparer.Ordinal);
        try
        {
            while (missing.Count > 0)
            {
                var line = await _lines.Reader.ReadAsync(guard.Token);
                _seen.Add(line);
                missing.Remove(line);
            }
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            Assert.Fail($"the child never printed {string.Join(", ", missing)} ({(ex is ChannelClosedException ? "it exited" : "it hung")}); " +
                $"it printed: {string.Join(" | ", _seen)}; stderr: {Stderr}");
        }
    }

    public void Release(string taskId)
    {
        _process.StandardInput.WriteLine("release " + taskId);
        _process.StandardInput.Flush();
    }

    /// <summary>Kills the child and its tree at once: no cleanup, no disposal, no flush.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
