using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Core.Substitution;
using Gleitzeit.Providers.Python.Interpreter;
using Gleitzeit.Providers.Python.Substitution;
using Gleitzeit.Providers.Python.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gleitzeit.Providers.Python;

/// <summary>
/// The <c>python/v1</c> provider: <c>python/execute</c> runs <c>code</c> or a <c>file</c> on a warm pool of python3
/// workers (see <see cref="PythonOptions"/>). References inside <c>code</c> never become source text: the worker's own
/// interpreter binds each one to a variable (see <see cref="PythonCodeRenderer"/>), so values from other tasks stay data.
/// A reference inside <c>file</c> is refused. Dispose it to stop every worker.
/// </summary>
public sealed partial class PythonProvider : ITaskProvider, IReferenceRenderer, IAsyncDisposable, IDisposable
{
    /// <summary>The provider's only method: runs <c>code</c> or a <c>file</c> and returns its <c>result</c>.</summary>
    public const string ExecuteMethod = "python/execute";

    private static readonly ProtocolDescriptor Descriptor = new("python", "v1",
    [
        new MethodDescriptor(ExecuteMethod,
        [
            new ParameterSpec("code", ParameterType.String, Description: "Python source to run; leave the answer in the variable 'result'."),
            new ParameterSpec("file", ParameterType.String, Description: "A script to run, relative to the workflow's directory or PythonOptions.ScriptsDirectory.")
            {
                AcceptsReferences = false, // a value from another task must not choose which script runs
            },
            new ParameterSpec("context", ParameterType.Object, Description: "Variables for the code: each entry is a variable, and the whole object is 'context'."),
            new ParameterSpec("timeout", ParameterType.Number, Description: "Seconds before the execution is killed (default PythonOptions.DefaultTimeout)."),
        ], "Runs Python code and returns {result, output, stderr, success, execution_time}.")
        {
            RequireOneOf = [["code", "file"]],
        },
    ], "Python code execution on a warm pool of python3 workers");

    private readonly PythonOptions _options;
    private readonly WorkerPool _pool;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>Creates the provider. Options are copied and validated; workers start on first use.</summary>
    public PythonProvider(PythonOptions? options = null, ILogger<PythonProvider>? logger = null, TimeProvider? timeProvider = null)
    {
        var problems = (options ?? new PythonOptions()).Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        _options = (options ?? new PythonOptions()).Clone();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _pool = new WorkerPool(_options, _logger);
    }

    /// <inheritdoc />
    public ProtocolDescriptor Protocol => Descriptor;

    /// <summary>Runs one <c>python/execute</c> task.</summary>
    public async ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        if (invocation.Method != ExecuteMethod)
        {
            throw new GleitzeitException(GleitzeitErrorCode.MethodNotFound, $"Method '{invocation.Method}' not found in protocol python/v1; it has: {ExecuteMethod}.");
        }
        var (request, timeout) = BuildRequest(invocation);
        var worker = await _pool.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var reusable = false;
        try
        {
            Action<TaskProgressKind, string>? progress = invocation.HasProgressListener ? invocation.ReportProgress : null;
            JsonRpcResponse response;
            try
            {
                response = await worker.ExecuteAsync(request, progress, timeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                LogTimedOut(_logger, invocation.TaskId, timeout.TotalSeconds, worker.Pid);
                throw new GleitzeitException(GleitzeitErrorCode.TaskTimeout,
                    $"python/execute timed out after {Seconds(timeout)} s; the worker process (pid {worker.Pid}) and its child processes were killed and will be replaced.",
                    data: new JsonObject { ["timeout"] = timeout.TotalSeconds });
            }
            catch (WorkerExitedException ex)
            {
                throw new GleitzeitException(GleitzeitErrorCode.TaskExecutionFailed,
                    $"The Python worker died while running the task: {ex.Message}. A new worker replaces it.", ex);
            }

            if (response.Error is { } error)
            {
                var data = error.Data as JsonObject;
                reusable = data?["recycle"] is not JsonValue r || !r.TryGetValue<bool>(out var recycle) || !recycle;
                throw ToException(error, data);
            }
            reusable = true;
            return response.Result;
        }
        finally
        {
            _pool.Release(worker, reusable);
        }
    }

    private (JsonObject Request, TimeSpan Timeout) BuildRequest(TaskInvocation invocation)
    {
        var p = invocation.Parameters;
        var code = OptionalString(p, "code");
        var file = OptionalString(p, "file");
        if (code is null && file is null) throw Invalid("python/execute needs 'code' (Python source) or 'file' (a script path).");
        if (code is not null && file is not null) throw Invalid("python/execute takes 'code' or 'file', not both: remove one of them.");

        var request = new JsonObject();
        if (code is not null)
        {
            if (PythonCodeRenderer.TryOpen(code, out var source, out var bind))
            {
                request["code"] = source;
                request["bind"] = bind;
            }
            else
            {
                request["code"] = code;
            }
        }
        else
        {
            request["file"] = ResolveScript(invocation, file!);
        }

        switch (p["context"])
        {
            case null:
                break;
            case JsonObject context:
                request["context"] = context.DeepClone();
                break;
            case var other:
                throw Invalid($"parameter 'context' must be an object (name: value), got {Describe(other)}.");
        }

        var timeout = _options.DefaultTimeout;
        if (p["timeout"] is { } t)
        {
            if (t is not JsonValue tv || tv.GetValueKind() != JsonValueKind.Number
                || !double.TryParse(tv.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds) || seconds <= 0)
            {
                throw Invalid($"parameter 'timeout' must be a positive number of seconds, got {t.ToJsonString()}.");
            }
            timeout = TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.FromDays(1).TotalSeconds));
        }
        // Relative paths in the code mean what they mean in the workflow file, unless options pin the directory.
        if (_options.WorkingDirectory is null && invocation.BaseDirectory is { } baseDirectory && Directory.Exists(baseDirectory))
        {
            request["cwd"] = baseDirectory;
        }
        request["stream"] = invocation.HasProgressListener;
        request["max_output"] = _options.MaxOutputBytes;
        return (request, timeout);
    }

    private string ResolveScript(TaskInvocation invocation, string file)
    {
        var looked = new List<string>();
        var candidate = invocation.ResolvePath(file);
        looked.Add(candidate);
        if (File.Exists(candidate)) return candidate;
        if (!Path.IsPathRooted(file) && _options.ScriptsDirectory is { } scripts)
        {
            candidate = Path.GetFullPath(Path.Combine(scripts, file));
            if (!looked.Contains(candidate, StringComparer.Ordinal)) looked.Add(candidate);
            if (File.Exists(candidate)) return candidate;
        }
        var where = invocation.BaseDirectory is null ? "the current directory" : "the workflow's directory";
        throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
            $"Python script '{file}' not found at {string.Join(" nor at ", looked.Select(l => $"'{l}'"))}. " +
            $"Relative paths resolve against {where}" + (_options.ScriptsDirectory is null ? "; set PythonOptions.ScriptsDirectory to look in a scripts folder too." : ", then the scripts directory (PythonOptions.ScriptsDirectory)."),
            data: new JsonObject { ["file"] = file, ["looked_at"] = new JsonArray(looked.Select(l => (JsonNode)JsonValue.Create(l)).ToArray()) });
    }

    private GleitzeitException ToException(GleitzeitError error, JsonObject? data)
    {
        if (error.Code == GleitzeitErrorCode.TaskValidationFailed)
        {
            return new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, error.Message, data: error.Data);
        }
        if (data?["crash"] is JsonValue crash && crash.TryGetValue<bool>(out var crashed) && crashed)
        {
            data.Remove("recycle");
            return new GleitzeitException(GleitzeitErrorCode.TaskExecutionFailed,
                $"The Python worker died while running the task: {error.Message}. A new worker replaces it.", data: data);
        }
        if (error.Code != GleitzeitErrorCode.TaskExecutionFailed || data is null)
        {
            return new GleitzeitException(GleitzeitErrorCode.ProviderError, $"The Python worker refused the request: {error.Message}", data: error.Data);
        }
        data.Remove("recycle");
        var type = (string?)data["type"] ?? "Exception";
        var where = data["line"] is JsonValue l && l.TryGetValue<int>(out var line) ? $" ({(string?)data["filename"] ?? "<task>"}, line {line})" : "";
        var message = error.Message;
        if (type == "MemoryError" && _options.MemoryLimitBytes is { } limit)
        {
            message += $" [the worker's memory limit is {limit / (1024 * 1024)} MiB: PythonOptions.MemoryLimitBytes]";
        }
        var traceback = (string?)data["traceback"] ?? "";
        return new GleitzeitException(GleitzeitErrorCode.TaskExecutionFailed, $"{message}{where}\n{traceback}".TrimEnd(), data: data);
    }

    /// <summary>Reports the interpreter's path and version; unhealthy when no interpreter is found.</summary>
    public async ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            var interpreter = await PythonInterpreter.ResolveAsync(_options.Interpreter, cancellationToken).ConfigureAwait(false);
            return ProviderHealth.Healthy($"Python {interpreter.Version} at {interpreter.Executable}", new JsonObject
            {
                ["interpreter"] = interpreter.Executable,
                ["requested"] = interpreter.Requested,
                ["version"] = interpreter.Version,
                ["isolation"] = _options.Isolation.ToString(),
                ["workers"] = _options.Workers,
                ["running_workers"] = _pool.LiveWorkers,
            });
        }
        catch (GleitzeitException ex)
        {
            return ProviderHealth.Unhealthy(ex.Message);
        }
    }

    /// <summary>
    /// This provider's capabilities: it is its own <see cref="IReferenceRenderer"/> (references inside <c>code</c>
    /// are bound to variables by the worker). The engine asks for the renderer through this method, so a decorator around the
    /// provider that forwards <c>GetService</c> keeps it in use.
    /// </summary>
    public object? GetService(Type serviceType)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>
    /// Keeps references inside <c>code</c> out of the source text (the worker binds them to variables), refuses a reference
    /// inside <c>file</c>; other parameters keep the default rendering.
    /// </summary>
    public string? RenderTemplate(string method, string parameterPath, Template template, IReadOnlyList<JsonNode?> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        if (method != ExecuteMethod) return null;
        if (parameterPath == "file")
        {
            throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
                $"parameter 'file' holds the reference {template.References[0]}: a value from another task must not choose which script runs. " +
                "Name the script in the workflow and pass the value through 'context'.");
        }
        return parameterPath == "code" ? PythonCodeRenderer.Render(template, values) : null;
    }

    /// <summary>Kills every worker and the processes they started.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops every worker process of the pool.</summary>
    public void Dispose() => _pool.Dispose();

    private static string? OptionalString(JsonObject p, string name) => p[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw Invalid($"parameter '{name}' must be a string, got {Describe(other)}."),
    };

    private static string Describe(JsonNode? node) => node switch
    {
        JsonObject => "an object",
        JsonArray => "a list",
        _ => node?.ToJsonString() ?? "null",
    };

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static GleitzeitException Invalid(string message) => new(GleitzeitErrorCode.TaskValidationFailed, message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "python/execute task {TaskId} timed out after {Seconds} s; killed worker {Pid}")]
    private static partial void LogTimedOut(ILogger logger, string taskId, double seconds, int pid);
}
