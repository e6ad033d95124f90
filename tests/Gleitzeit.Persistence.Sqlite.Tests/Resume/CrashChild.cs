using System.Collections.Concurrent;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Persistence.Sqlite.Tests.Resume;

/// <summary>
/// The child process of the crash tests (<c>dotnet Gleitzeit.Persistence.Sqlite.Tests.dll --crash-child DB DIR RUN_ID</c>):
/// runs <see cref="CrashWorkflow"/> against the SQLite file. It prints <c>started TASK</c> when a task begins,
/// <c>completed TASK</c> once a completion is stored, and holds every task until stdin says <c>release TASK</c>.
/// The parent kills it at a point of its choosing; nothing here cleans up.
/// </summary>
internal static class CrashChild
{
    public const string Flag = "--crash-child";

    public static async Task<int> RunAsync(string databasePath, string sideEffectDirectory, string runId)
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
        var registry = new ProviderRegistry();
        registry.Register(CrashWorkflow.Provider(sideEffectDirectory, async (task, cancellationToken) =>
        {
            output.WriteLine("started " + task);
            output.Flush();
            await ReleaseOf(task).Task.WaitAsync(cancellationToken);
        }));
        await using var store = new SqliteWorkflowStore(databasePath);
        await using var engine = new ExecutionEngine(registry, store);
        var run = await engine.RunAsync(CrashWorkflow.Build(), new RunOptions
        {
            WorkflowId = runId,
            OnEvent = e =>
            {
                if (e is TaskCompleted c)
                {
                    output.WriteLine("completed " + c.TaskId);
                    output.Flush();
                }
            },
        });
        output.WriteLine("finished " + run.Status.ToString().ToLowerInvariant());
        output.Flush();
        return 0;
    }
}
