using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Persistence.Sqlite.Tests.Resume;

/// <summary>
/// The child process of the mid-loop crash test (<c>--crash-loop-child DB DIR RUN_ID</c>): runs <see cref="Workflow"/>,
/// whose task <c>refine</c> loops until its value reaches 3. It prints <c>started refine N</c> at iteration N and holds
/// it until stdin says <c>release refine#N</c>. The parent kills it mid-loop.
/// </summary>
internal static class LoopCrashChild
{
    public const string Flag = "--crash-loop-child";

    public const string Protocol = "side/v1";

    public static Workflow Workflow() => new WorkflowBuilder("loop-crash")
        .AddTask("refine", "step", new JsonObject { ["iteration"] = "${iteration}", ["previous"] = "${previous.value}" },
            t => t.WithProtocol(Protocol).Loop("${self.value} >= 3", 5))
        .Build();

    /// <summary>Returns the iteration as <c>value</c> (and what it saw of the previous one), after <paramref name="hold"/>.</summary>
    public static DelegateProvider Provider(Func<int, CancellationToken, Task> hold) =>
        new(Protocol, async (invocation, cancellationToken) =>
        {
            var iteration = (int)invocation.Parameters["iteration"]!;
            await hold(iteration, cancellationToken).ConfigureAwait(false);
            return new JsonObject { ["value"] = iteration, ["previous"] = invocation.Parameters["previous"]?.DeepClone(), ["pid"] = Environment.ProcessId };
        }, "step");

    public static async Task<int> RunAsync(string databasePath, string runId)
    {
        var releases = new ConcurrentDictionary<string, TaskCompletionSource>(StringComparer.Ordinal);
        TaskCompletionSource ReleaseOf(string key) => releases.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var stdin = new Thread(() =>
        {
            while (Console.In.ReadLine() is { } line)
            {
                if (line.StartsWith("release ", StringComparison.Ordinal)) ReleaseOf(line["release ".Length..]).TrySetResult();
            }
        }) { IsBackground = true };
        stdin.Start();

        var output = TextWriter.Synchronized(Console.Out);
        var registry = new ProviderRegistry();
        registry.Register(Provider(async (iteration, cancellationToken) =>
        {
            output.WriteLine($"started refine {iteration}");
            output.Flush();
            await ReleaseOf($"refine#{iteration}").Task.WaitAsync(cancellationToken);
        }));
        await using var store = new SqliteWorkflowStore(databasePath);
        await using var engine = new ExecutionEngine(registry, store);
        var run = await engine.RunAsync(Workflow(), new RunOptions { WorkflowId = runId });
        output.WriteLine("finished " + run.Status.ToString().ToLowerInvariant());
        output.Flush();
        return 0;
    }
}
