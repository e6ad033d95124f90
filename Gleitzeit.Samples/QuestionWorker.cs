using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.Hosting;

namespace Gleitzeit.Samples;

internal sealed class QuestionWorker(ExecutionEngine engine, WorkQueue queue, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested && queue.TryTake(out var question))
            {
                var workflow = new WorkflowBuilder("answer")
                    .Chat("answer", model: "llama3.2", prompt: $"Answer in one sentence: {question}")
                    .Python("words", code: "result = len(${answer.response}.split())", dependsOn: ["answer"])
                    .Build();
                var run = await engine.RunAsync(workflow, cancellationToken: stoppingToken);
                if (run.Status != WorkflowStatus.Completed) queue.Failed++;
                Console.WriteLine($"[{run.Status.ToString().ToLowerInvariant()}] {question} -> {run.GetResult("answer")?["response"]} ({run.GetResult("words")?["result"]} words)");
            }
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
