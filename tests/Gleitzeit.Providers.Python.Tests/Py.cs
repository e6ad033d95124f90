using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>Small helpers: run one python/execute call against a provider.</summary>
internal static class Py
{
    public static TaskInvocation Invocation(JsonObject parameters, Action<TaskProgressUpdate>? progress = null, string? baseDirectory = null) =>
        new(new JsonRpcRequest(PythonProvider.ExecuteMethod, parameters, JsonValue.Create("t")), "wf", "t", 1, progress) { BaseDirectory = baseDirectory };

    public static async Task<JsonObject> RunAsync(this PythonProvider provider, string code, JsonObject? context = null, double? timeout = null,
        Action<TaskProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        var p = new JsonObject { ["code"] = code };
        if (context is not null) p["context"] = context;
        if (timeout is not null) p["timeout"] = timeout;
        var result = await provider.ExecuteAsync(Invocation(p, progress), cancellationToken);
        return (JsonObject)result!;
    }

    /// <summary>The pid of the worker that runs the next task (the code runs in a process the worker forks for it).</summary>
    public static async Task<int> WorkerPidAsync(this PythonProvider provider) =>
        (int)(await provider.RunAsync("import os\nresult = os.getppid()"))["result"]!;

    public static bool ProcessExists(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }
}
