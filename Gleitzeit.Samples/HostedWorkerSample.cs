using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Samples;

/// <summary>
/// Gleitzeit in a Generic Host: providers and the engine come from <c>AddGleitzeit()</c>; a <see cref="BackgroundService"/>
/// takes work from a queue (here: three questions) and runs one workflow per item with <see cref="ExecutionEngine"/>.
/// A real worker would read its queue forever; this one stops the host when the queue is empty.
/// </summary>
internal static class HostedWorkerSample
{
    public static async Task<int> RunAsync(SampleContext context)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddGleitzeit(o => o.MaxConcurrency = 4)
            .AddOllama(o => o.Endpoint = context.OllamaEndpoint)
            .AddPython();
        builder.Services.AddSingleton(new WorkQueue(["What is a DAG?", "Why retry only transient errors?", "What is backpressure?"]));
        builder.Services.AddHostedService<QuestionWorker>();

        using var host = builder.Build();
        var queue = host.Services.GetRequiredService<WorkQueue>();
        await host.RunAsync();
        Console.WriteLine($"hosted worker: {(queue.Failed == 0 ? "completed" : $"{queue.Failed} runs failed")}");
        return queue.Failed == 0 ? 0 : 1;
    }
}

internal sealed class WorkQueue(IEnumerable<string> items)
{
    private readonly Queue<string> _items = new(items);

    public int Failed { get; set; }

    public bool TryTake(out string item)
    {
        lock (_items) return _items.TryDequeue(out item!);
    }
}

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
