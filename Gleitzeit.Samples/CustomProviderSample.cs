using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Samples;

/// <summary>
/// Your own protocol: <c>text/v1</c> with methods <c>text/upper</c> and <c>text/count</c>. Describe the methods and their
/// parameters (the loader checks tasks against them), return a JSON result, throw <see cref="GleitzeitException"/> with a
/// code for failures.
/// </summary>
internal sealed class TextProvider : ITaskProvider
{
    public ProtocolDescriptor Protocol { get; } = new("text", "v1",
    [
        new MethodDescriptor("text/upper", new ParameterSpec("text", ParameterType.String, Required: true, Description: "the text")),
        new MethodDescriptor("text/count", new ParameterSpec("text", ParameterType.String, Required: true), new ParameterSpec("word", ParameterType.String)),
    ], "Small text utilities");

    public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        var text = (string?)invocation.Parameters["text"] ?? "";
        JsonNode? result = invocation.Method switch
        {
            "text/upper" => new JsonObject { ["response"] = text.ToUpperInvariant() },
            "text/count" when invocation.Parameters["word"] is JsonValue w && (string?)w is { Length: > 0 } word =>
                new JsonObject { ["result"] = CountOf(text, word), ["word"] = word },
            "text/count" => new JsonObject { ["result"] = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length },
            _ => throw new GleitzeitException(GleitzeitErrorCode.MethodNotFound, $"text/v1 has no method '{invocation.Method}'."),
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }

    public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProviderHealth.Healthy());

    private static int CountOf(string text, string word)
    {
        var count = 0;
        for (var i = text.IndexOf(word, StringComparison.OrdinalIgnoreCase); i >= 0; i = text.IndexOf(word, i + word.Length, StringComparison.OrdinalIgnoreCase)) count++;
        return count;
    }
}

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
