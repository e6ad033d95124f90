using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Samples;

internal static class CustomProviderSample
{
    public static async Task<int> RunAsync(SampleContext context)
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddProvider(new TextProvider());
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<ExecutionEngine>();

        var workflow = new WorkflowBuilder("text tools")
            .AddTask("shout", "text/upper", new JsonObject { ["text"] = "the quick brown fox jumps over the lazy dog" })
            .AddTask("words", "text/count", new JsonObject { ["text"] = "${shout.response}" }, t => t.DependsOn("shout"))
            .AddTask("the", "text/count", new JsonObject { ["text"] = "${shout.response}", ["word"] = "the" }, t => t.DependsOn("shout"))
            .Build();

        var run = await engine.RunAsync(workflow);

        Console.WriteLine($"shout: {run.GetResult("shout")?["response"]}");
        Console.WriteLine($"words: {run.GetResult("words")?["result"]}");
        Console.WriteLine($"'the': {run.GetResult("the")?["result"]}");
        return Report.Outcome(run);
    }
}
