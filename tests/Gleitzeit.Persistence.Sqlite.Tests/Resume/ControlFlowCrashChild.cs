using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Persistence.Sqlite.Tests.Resume;

/// <summary>
/// The child process of the control-flow crash tests (<c>--crash-child-cf KIND DB DIR RUN_ID</c>): runs the foreach or
/// the sub-workflow workflow of <see cref="ControlFlowCrashWorkflows"/> against the SQLite file, printing
/// <c>started TASK</c> and holding every task until stdin says <c>release TASK</c>, as <see cref="CrashChild"/> does.
/// </summary>
internal static class ControlFlowCrashChild
{
    public const string Flag = "--crash-child-cf";

    public static async Task<int> RunAsync(string kind, string databasePath, string sideEffectDirectory, string runId)
    {
        var releases = new ConcurrentDictionary<string, TaskCompletionSource>(StringComparer.Ordinal);
        TaskCompletionSource ReleaseOf(string task) => releases.GetOrAdd(task, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var stdin = new Thread(() =>
        {
            while (Console.In.ReadLine() is { } line)
            {
                if (line.StartsWith("release ", StringComparison.Ordinal)) ReleaseOf(line["release ".Length..]).TrySetResult();
            }
        }) { IsBackground = true };
        stdin.Start();

        var output = TextWriter.Synchronized(Console.Out);
        var registry = ControlFlowCrashWorkflows.Registry(sideEffectDirectory, async (task, cancellationToken) =>
        {
            output.WriteLine("started " + task);
            output.Flush();
            await ReleaseOf(task).Task.WaitAsync(cancellationToken);
        });
        await using var store = new SqliteWorkflowStore(databasePath);
        await using var engine = new ExecutionEngine(registry, store);
        var run = await engine.RunAsync(ControlFlowCrashWorkflows.Build(kind, sideEffectDirectory, registry), new RunOptions { WorkflowId = runId });
        output.WriteLine("finished " + run.Status.ToString().ToLowerInvariant());
        output.Flush();
        return 0;
    }
}

/// <summary>The workflows of the control-flow crash tests; each task records its side effect as <see cref="CrashWorkflow"/> does.</summary>
internal static class ControlFlowCrashWorkflows
{
    public const string ForEach = "foreach";
    public const string SubWorkflow = "subworkflow";

    public static ProviderRegistry Registry(string sideEffectDirectory, Func<string, CancellationToken, Task> beforeReturn)
    {
        var registry = new ProviderRegistry();
        registry.Register(CrashWorkflow.Provider(sideEffectDirectory, beforeReturn));
        return registry;
    }

    /// <summary>
    /// foreach: plan → each (one item per element of plan's list, one at a time) → after. subworkflow: sub (runs
    /// child.yaml: first → second) → after.
    /// </summary>
    public static Workflow Build(string kind, string directory, ProviderRegistry registry)
    {
        if (kind == ForEach)
        {
            return new WorkflowBuilder("crash-foreach")
                .AddTask("plan", "step", new JsonObject { ["message"] = new JsonArray("w", "x", "y", "z") }, t => t.WithProtocol(CrashWorkflow.Protocol))
                .ForEach("each", "${plan.value}", t => t.DependsOn("plan").WithProtocol(CrashWorkflow.Protocol).WithMaxConcurrency(1)
                    .WithMethod("step", new JsonObject { ["message"] = "${item}${index}" }))
                .AddTask("after", "step", new JsonObject { ["message"] = "${each.results}" }, t => t.WithProtocol(CrashWorkflow.Protocol).DependsOn("each"))
                .Build();
        }
        File.WriteAllText(Path.Join(directory, "child.yaml"), """
            name: crash-child
            tasks:
              - id: first
                protocol: side/v1
                method: step
                params: { message: one }
              - id: second
                protocol: side/v1
                dependencies: [first]
                method: step
                params: { message: "${first.value}+two" }
            """);
        return new WorkflowBuilder("crash-parent")
            .WithBaseDirectory(directory)
            .RunWorkflow("sub", "child.yaml")
            .AddTask("after", "step", new JsonObject { ["message"] = "${sub.status}" }, t => t.WithProtocol(CrashWorkflow.Protocol).DependsOn("sub"))
            .Build();
    }
}
