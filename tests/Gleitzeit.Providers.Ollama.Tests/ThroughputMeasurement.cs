using System.Diagnostics;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.TestServers.Ollama;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Providers.Ollama.Tests;

/// <summary>A measurement, not a test: run with <c>dotnet test --filter ThroughputMeasurement</c> to print figures. Asserts nothing about speed.</summary>
[Explicit("prints a measurement; run on demand")]
public sealed class ThroughputMeasurement
{
    [TestCase(200, 4)]
    [TestCase(200, 16)]
    public async Task Independent_chat_tasks_against_the_test_server(int tasks, int ollamaConcurrency)
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.Reply("one two three four five six seven eight nine ten");
        var services = new ServiceCollection();
        services.AddGleitzeit(o => o.MaxConcurrency = 32).AddOllama(o =>
        {
            o.Endpoint = server.BaseUri;
            o.MaxConcurrency = ollamaConcurrency;
        });
        await using var sp = services.BuildServiceProvider();
        var engine = sp.GetRequiredService<ExecutionEngine>();
        var builder = new WorkflowBuilder("load");
        for (var i = 0; i < tasks; i++) builder.Chat($"t{i}", prompt: $"question {i}");
        var workflow = builder.Build();
        await engine.RunAsync(new WorkflowBuilder("warmup").Chat("w", prompt: "x").Build());

        var watch = Stopwatch.StartNew();
        var run = await engine.RunAsync(workflow);
        watch.Stop();

        Assert.That(run.Status, Is.EqualTo(Gleitzeit.Core.WorkflowStatus.Completed));
        TestContext.Out.WriteLine($"{tasks} llm/chat tasks (10 streamed tokens each), Ollama MaxConcurrency {ollamaConcurrency}: {watch.Elapsed.TotalMilliseconds:0} ms, {tasks / watch.Elapsed.TotalSeconds:0} tasks/s");
    }
}
