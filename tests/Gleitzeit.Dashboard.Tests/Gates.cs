using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Dashboard.Tests;

/// <summary>
/// The test provider <c>gate/v1</c>: <c>gate/pass</c> returns its <c>result</c> parameter (or <c>{"response": message}</c>) at once;
/// <c>gate/wait</c> waits until the test opens the gate named by its <c>gate</c> parameter; <c>gate/fail</c> fails with its
/// <c>message</c>. A test knows when a task started (<see cref="StartedAsync"/>) and decides when it ends, so nothing is timed.
/// </summary>
internal sealed class Gates
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _open = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new(StringComparer.Ordinal);

    public DelegateProvider Provider() => new("gate/v1", async (inv, ct) =>
    {
        var p = inv.Parameters;
        switch (inv.Method)
        {
            case "gate/wait":
                var name = (string)p["gate"]!;
                Started(name).TrySetResult();
                await Gate(name).Task.WaitAsync(ct).ConfigureAwait(false);
                break;
            case "gate/fail":
                throw new GleitzeitException(GleitzeitErrorCode.TaskExecutionFailed, (string?)p["message"] ?? "failed on purpose",
                    data: new JsonObject { ["hint"] = "This task fails on purpose." });
        }
        return p["result"]?.DeepClone() ?? new JsonObject { ["response"] = p["message"]?.DeepClone() };
    }, "gate/pass", "gate/wait", "gate/fail");

    public void Open(string name) => Gate(name).TrySetResult();

    public Task StartedAsync(string name) => Started(name).Task;

    private TaskCompletionSource Gate(string name) => _open.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private TaskCompletionSource Started(string name) => _started.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
