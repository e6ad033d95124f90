using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Persistence.Sqlite.Tests.Resume;

/// <summary>
/// The workflow the crash tests run: a → (b, c) → d → e, each task appending a line to its own side-effect file
/// (<c>DIR/TASK.log</c>, one line per execution holding the process id) and passing its value on to its dependents.
/// </summary>
internal static class CrashWorkflow
{
    public const string Protocol = "side/v1";

    public static readonly string[] TaskIds = ["a", "b", "c", "d", "e"];

    /// <summary>The value of <c>e</c> when every task saw its dependencies' values.</summary>
    public const string FinalValue = "ab+acde";

    public static Workflow Build() => new WorkflowBuilder("crash-test")
        .AddTask("a", "step", new JsonObject { ["message"] = "a" }, t => t.WithProtocol(Protocol))
        .AddTask("b", "step", new JsonObject { ["message"] = "${a.value}b" }, t => t.WithProtocol(Protocol).DependsOn("a"))
        .AddTask("c", "step", new JsonObject { ["message"] = "${a.value}c" }, t => t.WithProtocol(Protocol).DependsOn("a"))
        .AddTask("d", "step", new JsonObject { ["message"] = "${b.value}+${c.value}d" }, t => t.WithProtocol(Protocol).DependsOn("b", "c"))
        .AddTask("e", "step", new JsonObject { ["message"] = "${d.value}e" }, t => t.WithProtocol(Protocol).DependsOn("d"))
        .Build();

    /// <summary>The provider: records the side effect, then lets <paramref name="beforeReturn"/> hold the task (the child waits for the parent's word).</summary>
    public static DelegateProvider Provider(string sideEffectDirectory, Func<string, CancellationToken, Task> beforeReturn) =>
        new(Protocol, async (invocation, cancellationToken) =>
        {
            RecordSideEffect(sideEffectDirectory, invocation.TaskId);
            await beforeReturn(invocation.TaskId, cancellationToken).ConfigureAwait(false);
            return new JsonObject { ["value"] = invocation.Parameters["message"]?.DeepClone(), ["pid"] = Environment.ProcessId };
        }, "step");

    /// <summary>Process ids of every execution of the task, in order.</summary>
    public static IReadOnlyList<int> Executions(string sideEffectDirectory, string taskId)
    {
        var file = Path.Join(sideEffectDirectory, taskId + ".log");
        return File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Length > 0).Select(int.Parse).ToList() : [];
    }

    private static void RecordSideEffect(string directory, string taskId)
    {
        using var stream = new FileStream(Path.Join(directory, taskId + ".log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n"));
        stream.Flush(flushToDisk: true);
    }
}
