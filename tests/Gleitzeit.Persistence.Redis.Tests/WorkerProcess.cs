using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>A worker in a child process: this test assembly started with <c>--worker</c> (see <see cref="Program"/>).</summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(Process process, string consumer, string logFile)
    {
        _process = process;
        Consumer = consumer;
        LogFile = logFile;
    }

    public string Consumer { get; }

    public string LogFile { get; }

    public bool HasExited => _process.HasExited;

    public static async Task<WorkerProcess> StartAsync(RedisStoreOptions options, string consumer, int concurrency = 4, TimeSpan? lease = null, string? logFile = null, string? middleware = null, int? providerBound = null, string? spansFile = null)
    {
        var log = logFile ?? Path.Combine(Path.GetTempPath(), $"gleitzeit-worker-{consumer}-{Guid.NewGuid():N}.log");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            typeof(Program).Assembly.Location, "--worker", "--redis", options.Configuration, "--prefix", options.KeyPrefix, "--consumer", consumer,
            "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture),
            "--lease-ms", ((long)(lease ?? TimeSpan.FromSeconds(30)).TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "--log", log,
        })
        {
            start.ArgumentList.Add(a);
        }
        if (providerBound is not null)
        {
            start.ArgumentList.Add("--provider-bound");
            start.ArgumentList.Add(providerBound.Value.ToString(CultureInfo.InvariantCulture));
        }
        if (spansFile is not null)
        {
            start.ArgumentList.Add("--spans");
            start.ArgumentList.Add(spansFile);
        }
        if (middleware is not null)
        {
            start.ArgumentList.Add("--middleware");
            start.ArgumentList.Add(middleware);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("the worker process did not start");
        var worker = new WorkerProcess(process, consumer, log);
        process.OutputDataReceived += (_, e) => worker.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => worker.OnOutput(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Task.WhenAny(worker._started.Task, process.WaitForExitAsync(limit.Token));
        if (!worker._started.Task.IsCompleted) throw new InvalidOperationException($"worker {consumer} did not start: {worker.Output}");
        return worker;
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Executions this worker started, as "run\ttask\tattempt\tmethod" lines.</summary>
    public IReadOnlyList<string> Executions()
    {
        if (!File.Exists(LogFile)) return [];
        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Kills the process at once, as a machine that dies would: no clean-up, no report.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Asks the worker to stop (closes its standard input) and waits for it.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        _process.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
        File.Delete(LogFile);
    }

    private void OnOutput(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.StartsWith("worker ", StringComparison.Ordinal)) _started.TrySetResult();
    }
}
