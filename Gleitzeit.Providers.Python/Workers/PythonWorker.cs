using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.Python.Interpreter;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Providers.Python.Workers;

/// <summary>
/// One python3 process running the worker bootstrap: requests go to its stdin, answers (and streamed output lines)
/// come from its stdout, one JSON-RPC 2.0 object per line. Runs one execution at a time.
/// </summary>
internal sealed partial class PythonWorker : IDisposable
{
    private const int StderrLinesKept = 40;

    private static readonly JsonSerializerOptions WireJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] KeptVariables = OperatingSystem.IsWindows()
        ? ["PATH", "HOME", "LANG", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT", "WINDIR", "USERPROFILE", "PATHEXT", "COMSPEC"]
        : ["PATH", "HOME", "LANG", "TMPDIR"];

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<JsonObject> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _stderrTail = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private Pending? _current;
    private volatile bool _alive = true;
    private volatile bool _killedByUs;
    private int? _processGroup;
    private int _killed;
    private long _nextId;

    private PythonWorker(Process process, ILogger logger)
    {
        _process = process;
        _logger = logger;
        Pid = process.Id;
    }

    public int Pid { get; }

    public bool IsAlive => _alive;

    public int Executions { get; private set; }

    public string Version { get; private set; } = "";

    /// <summary>Starts a worker and waits until it reports ready; throws PROVIDER_NOT_AVAILABLE when it cannot.</summary>
    public static async Task<PythonWorker> StartAsync(PythonInterpreter interpreter, PythonOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(interpreter.Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            WorkingDirectory = options.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        start.ArgumentList.Add("-X");
        start.ArgumentList.Add("utf8");
        start.ArgumentList.Add("-u");
        start.ArgumentList.Add(WorkerScript.Path);
        start.ArgumentList.Add((options.MemoryLimitBytes ?? 0).ToString(CultureInfo.InvariantCulture));
        start.Environment.Clear();
        foreach (var name in KeptVariables)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value) start.Environment[name] = value;
        }
        foreach (var (name, value) in options.Environment) start.Environment[name] = value;

        HostProtection.Apply();
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                $"Could not start the Python interpreter '{interpreter.Executable}': {ex.Message}. Install python3, or set GLEITZEIT_PYTHON or PythonOptions.Interpreter.", ex);
        }
        var worker = new PythonWorker(process, logger);
        _ = Task.Run(worker.ReadStdoutAsync, CancellationToken.None);
        _ = Task.Run(worker.ReadStderrAsync, CancellationToken.None);
        try
        {
            var ready = await worker._ready.Task.WaitAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            worker.Version = (string?)ready["version"] ?? "";
            if (ready["process_group"] is JsonValue g && g.TryGetValue<int>(out var group) && group == worker.Pid) worker._processGroup = group;
            if ((string?)ready["note"] is { } note) LogWorkerNote(logger, worker.Pid, note);
            LogWorkerStarted(logger, worker.Pid, interpreter.Executable);
            return worker;
        }
        catch (TimeoutException)
        {
            worker.Dispose();
            throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                $"The Python worker ('{interpreter.Executable}') did not report ready within {options.StartTimeout.TotalSeconds:0.#} s.{worker.StderrTail()}");
        }
        catch (WorkerExitedException ex)
        {
            worker.Dispose();
            throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                $"The Python worker ('{interpreter.Executable}') exited while starting: {ex.Message}", ex);
        }
        catch
        {
            worker.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends one execution and waits for its answer. Throws <see cref="TimeoutException"/> (after killing the worker)
    /// when <paramref name="timeout"/> passes, <see cref="WorkerExitedException"/> when the worker dies, and
    /// <see cref="OperationCanceledException"/> (after killing the worker) on cancellation.
    /// </summary>
    public async Task<JsonRpcResponse> ExecuteAsync(JsonObject parameters, Action<TaskProgressKind, string>? progress, TimeSpan timeout,
        TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (!_alive) throw new WorkerExitedException("the worker is not running");
        Executions++;
        var id = ++_nextId;
        var pending = new Pending(id, progress);
        Volatile.Write(ref _current, pending);
        try
        {
            var line = new JsonRpcRequest("execute", parameters, JsonValue.Create(id)).ToJson().ToJsonString(WireJson);
            await WriteLineAsync(line, cancellationToken).ConfigureAwait(false);
            return await pending.Response.Task.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            Kill();
            throw;
        }
        finally
        {
            Volatile.Write(ref _current, null);
        }
    }

    private async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stdin = _process.StandardInput;
            await stdin.WriteAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            await stdin.WriteAsync("\n".AsMemory(), cancellationToken).ConfigureAwait(false);
            await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new WorkerExitedException($"the worker stopped reading requests ({ex.Message})");
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Kills the worker and every process in its group. Safe to call more than once.</summary>
    public void Kill()
    {
        _killedByUs = true;
        KillProcesses();
    }

    private void KillProcesses()
    {
        _alive = false;
        if (Interlocked.Exchange(ref _killed, 1) == 1) return;
        ProcessGroup.KillAll(_process, _processGroup);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private async Task ReadStdoutAsync()
    {
        var stdout = _process.StandardOutput;
        try
        {
            while (await stdout.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0) continue;
                if (line.StartsWith("{\"method\"", StringComparison.Ordinal)) HandleNotification(line);
                else HandleResponse(line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // the pipe went away with the process
        }
        _alive = false;
        var description = await DescribeExitAsync().ConfigureAwait(false);
        var exited = new WorkerExitedException(description);
        _ready.TrySetException(exited);
        Volatile.Read(ref _current)?.Response.TrySetException(exited);
        if (!_killedByUs) LogWorkerExited(_logger, Pid, description);
    }

    private void HandleNotification(string line)
    {
        JsonObject? message;
        try
        {
            message = JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException ex)
        {
            LogBadLine(_logger, Pid, ex.Message);
            return;
        }
        switch ((string?)message?["method"])
        {
            case "ready":
                _ready.TrySetResult(message!["params"] as JsonObject ?? []);
                break;
            case "output":
                if (Volatile.Read(ref _current)?.Progress is { } progress && (string?)message!["params"]?["line"] is { } text)
                {
                    progress(TaskProgressKind.Output, text);
                }
                break;
        }
    }

    private void HandleResponse(string line)
    {
        JsonRpcResponse response;
        try
        {
            response = JsonRpcResponse.Parse(line);
        }
        catch (GleitzeitException ex)
        {
            LogBadLine(_logger, Pid, ex.Message);
            Volatile.Read(ref _current)?.Response.TrySetException(new WorkerExitedException($"the worker answered with something that is not JSON-RPC: {ex.Message}"));
            Kill();
            return;
        }
        var pending = Volatile.Read(ref _current);
        if (pending is not null && (response.Id is null || (response.Id is JsonValue v && v.TryGetValue<long>(out var id) && id == pending.Id)))
        {
            pending.Response.TrySetResult(response);
        }
    }

    private async Task ReadStderrAsync()
    {
        var stderr = _process.StandardError;
        try
        {
            while (await stderr.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_stderrTail)
                {
                    if (_stderrTail.Count == StderrLinesKept) _stderrTail.Dequeue();
                    _stderrTail.Enqueue(line);
                }
                LogStderr(_logger, Pid, line);
                Volatile.Read(ref _current)?.Progress?.Invoke(TaskProgressKind.Log, line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // the pipe went away with the process
        }
        _stderrDone.TrySetResult();
    }

    private async Task<string> DescribeExitAsync()
    {
        if (_killedByUs) return "the worker was killed";
        // Take any child processes the code started down with it, then collect what it wrote on the way out.
        KillProcesses();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            await _stderrDone.Task.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return "the worker stopped answering" + StderrTail();
        }
        var code = _process.ExitCode;
        var how = code > 128 && !OperatingSystem.IsWindows()
            ? $"killed by signal {code - 128}{SignalName(code - 128)}"
            : $"exit code {code}";
        return $"the Python worker exited ({how})" + StderrTail();
    }

    private static string SignalName(int signal) => signal switch
    {
        6 => " (SIGABRT)",
        7 => " (SIGBUS)",
        8 => " (SIGFPE)",
        9 => " (SIGKILL: out of memory, or killed from outside)",
        11 => " (SIGSEGV: segmentation fault)",
        15 => " (SIGTERM)",
        _ => "",
    };

    private string StderrTail()
    {
        lock (_stderrTail)
        {
            return _stderrTail.Count == 0 ? "" : "; its last stderr lines:\n" + string.Join('\n', _stderrTail);
        }
    }

    private sealed class Pending(long id, Action<TaskProgressKind, string>? progress)
    {
        public long Id { get; } = id;

        public Action<TaskProgressKind, string>? Progress { get; } = progress;

        public TaskCompletionSource<JsonRpcResponse> Response { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Python worker {Pid} started ({Executable})")]
    private static partial void LogWorkerStarted(ILogger logger, int pid, string executable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Python worker {Pid}: {Note}")]
    private static partial void LogWorkerNote(ILogger logger, int pid, string note);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Python worker {Pid} ended unexpectedly: {Description}")]
    private static partial void LogWorkerExited(ILogger logger, int pid, string description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Python worker {Pid} wrote a line that is not JSON-RPC: {Problem}")]
    private static partial void LogBadLine(ILogger logger, int pid, string problem);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Python worker {Pid} stderr: {Line}")]
    private static partial void LogStderr(ILogger logger, int pid, string line);
}

/// <summary>The worker process ended (crash, os._exit, kill) before answering.</summary>
internal sealed class WorkerExitedException(string message) : Exception(message);
