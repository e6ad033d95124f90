using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Samples;

/// <summary>A workflow built in C#: an LLM writes a haiku, Python counts its words, both results are printed.</summary>
internal static class CodeBuiltSample
{
    public static async Task<int> RunAsync(SampleContext context)
    {
        var services = new ServiceCollection();
        services.AddGleitzeit()
            .AddOllama(o => o.Endpoint = context.OllamaEndpoint)
            .AddPython();
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<ExecutionEngine>();

        var workflow = new WorkflowBuilder("haiku")
            .Chat("poem", model: "llama3.2", prompt: "Write a haiku about autumn leaves.")
            .Python("count", code: "words = ${poem.response}.split()\nresult = {'words': len(words), 'longest': max(words, key=len)}", dependsOn: ["poem"])
            .Build();

        var run = await engine.RunAsync(workflow);

        Console.WriteLine($"poem:  {run.GetResult("poem")?["response"]}");
        Console.WriteLine($"count: {run.GetResult("count")?["result"]?.ToJsonString()}");
        return Report.Outcome(run);
    }
}
