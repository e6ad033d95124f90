using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Samples;

/// <summary>
/// One LLM summary per text file of examples/documents. Until <c>BatchProcessor.ProcessBatchAsync</c> lands this is a
/// <c>type: batch</c> workflow: the loader expands the template into one task per file (summary_1, summary_2, ...).
/// </summary>
internal static class FolderBatchSample
{
    public static async Task<int> RunAsync(SampleContext context)
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddOllama(o => o.Endpoint = context.OllamaEndpoint);
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<ExecutionEngine>();

        var folder = Path.Combine(SampleContext.ExamplesDirectory, "documents");
        var yaml = """
            name: "Summaries"
            type: batch
            batch: { directory: ".", pattern: "*.txt" }
            template:
              id: summary
              method: llm/chat
              model: llama3.2
              messages:
                - { role: user, content: "Summarize this document in two sentences." }
            """;
        var workflow = WorkflowLoader.Parse(yaml, baseDirectory: folder, registry: engine.Registry);
        Console.WriteLine($"{workflow.Tasks.Count} files in {folder}");

        var run = await engine.RunAsync(workflow);

        foreach (var task in workflow.Tasks)
        {
            var text = (string?)run.GetResult(task.Id)?["response"] ?? "";
            Console.WriteLine($"{task.DisplayName}: {(text.Length > 100 ? text[..100] + "..." : text)}");
        }
        return Report.Outcome(run);
    }
}
