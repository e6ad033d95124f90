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
