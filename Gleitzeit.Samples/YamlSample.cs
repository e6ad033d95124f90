using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Samples;

/// <summary>A workflow from YAML (here a string; <c>WorkflowLoader.LoadFile</c> reads a file), run with an input value.</summary>
internal static class YamlSample
{
    private const string Yaml = """
        name: "Topic and outline"
        inputs:
          subject: "rivers"
        tasks:
          - id: topic
            method: llm/chat
            parameters:
              model: llama3.2
              messages:
                - role: user
                  content: "Name one surprising fact about ${inputs.subject}. One sentence."
          - id: outline
            method: llm/chat
            dependencies: [topic]
            parameters:
              model: llama3.2
              messages:
                - role: user
                  content: "Write a 3-point outline for a talk about: ${topic.response}"
          - id: length
            method: python/execute
            dependencies: [outline]
            parameters:
              code: "result = len(${outline.response})"
        """;

    public static async Task<int> RunAsync(SampleContext context)
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddOllama(o => o.Endpoint = context.OllamaEndpoint).AddPython();
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<ExecutionEngine>();

        // The registry lets the loader check every method and parameter before anything runs.
        var workflow = WorkflowLoader.Parse(Yaml, registry: engine.Registry, sourceName: "sample.yaml");
        var run = await engine.RunAsync(workflow, new RunOptions { Inputs = new Dictionary<string, JsonNode?> { ["subject"] = "lighthouses" } });

        Console.WriteLine($"topic:   {run.GetResult("topic")?["response"]}");
        Console.WriteLine($"outline: {run.GetResult("outline")?["response"]}");
        Console.WriteLine($"length:  {run.GetResult("length")?["result"]} characters");
        return Report.Outcome(run);
    }
}
