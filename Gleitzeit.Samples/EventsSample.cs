using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Samples;

/// <summary>
/// Watching a run: <see cref="RunOptions.OnEvent"/> receives every event (started, progress, completed, ...), and an LLM
/// task's answer arrives as <see cref="TaskProgress"/> events of kind Token while it is generated. (For a run submitted
/// elsewhere, <c>engine.WatchAsync(id)</c> gives the same events as an async stream.)
/// </summary>
internal static class EventsSample
{
    public static async Task<int> RunAsync(SampleContext context)
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddOllama(o => o.Endpoint = context.OllamaEndpoint).AddPython();
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<ExecutionEngine>();

        var workflow = new WorkflowBuilder("streaming")
            .Python("numbers", code: "for i in range(3):\n    print('line', i)\nresult = [1, 2, 3]")
            .Chat("story", model: "llama3.2", prompt: "Tell a three-sentence story about the numbers ${numbers.result}.", dependsOn: ["numbers"])
            .Build();

        var tokens = 0;
        var midLine = false;
        var gate = new Lock();
        var run = await engine.RunAsync(workflow, new RunOptions
        {
            OnEvent = e =>
            {
                lock (gate)
                {
                    switch (e)
                    {
                        case TaskProgress { Kind: TaskProgressKind.Token } token:
                            tokens++;
                            midLine = true;
                            Console.Write(token.Text);
                            break;
                        case TaskProgress progress:
                            Console.WriteLine($"  [{progress.TaskId} {progress.Kind.ToString().ToLowerInvariant()}] {progress.Text}");
                            break;
                        case TaskStarted started:
                            Console.WriteLine($"> {started.TaskId} started (attempt {started.Attempt})");
                            break;
                        case TaskCompleted completed:
                            if (midLine) Console.WriteLine();
                            midLine = false;
                            Console.WriteLine($"< {completed.TaskId} completed in {completed.Duration.TotalMilliseconds:F0} ms");
                            break;
                        case TaskFailed failed:
                            Console.WriteLine($"< {failed.TaskId} failed: {failed.Error}");
                            break;
                        case WorkflowCompleted done:
                            Console.WriteLine($"workflow {done.Status.ToString().ToLowerInvariant()} in {done.Duration.TotalMilliseconds:F0} ms");
                            break;
                    }
                }
            },
        });

        Console.WriteLine($"{tokens} tokens streamed");
        if (tokens == 0) Console.Error.WriteLine("no tokens were streamed");
        return tokens == 0 ? 1 : Report.Outcome(run);
    }
}
