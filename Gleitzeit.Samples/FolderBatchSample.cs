using Gleitzeit.Core.Batch;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Samples;

/// <summary>
/// One LLM summary per text file of examples/documents with <see cref="BatchProcessor.ProcessBatchAsync"/>: bounded
/// concurrency, progress as files finish, a per-file report saved as Markdown. (The YAML form of the same batch is
/// <c>type: batch</c>, see examples/batch_documents.yaml.)
/// </summary>
internal static class FolderBatchSample
{
    public static async Task<int> RunAsync(SampleContext context)
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddOllama(o => o.Endpoint = context.OllamaEndpoint);
        services.Configure<BatchOptions>(o => o.ResultsDirectory = null); // keep the sample from writing under ~/.gleitzeit
        await using var provider = services.BuildServiceProvider();
        var batch = provider.GetRequiredService<BatchProcessor>();

        var folder = Path.Combine(SampleContext.ExamplesDirectory, "documents");
        var progress = new Progress<BatchProgress>(p => Console.WriteLine($"  {p.Done}/{p.Total} done ({p.Failed} failed)"));
        var result = await batch.ProcessBatchAsync(new BatchRequest
        {
            Directory = folder,
            Pattern = "*.txt",
            Prompt = "Summarize this document in two sentences.",
            Model = "llama3.2",
            MaxConcurrent = 2,
        }, progress);

        foreach (var file in result.Files)
        {
            var text = file.Response ?? file.Error ?? "";
            Console.WriteLine($"{Path.GetFileName(file.Path)} ({file.Status}): {(text.Length > 100 ? text[..100] + "..." : text)}");
        }
        // The report as Markdown (result.SaveToFileAsync("report.md") writes it to a file; .json for JSON). The sample
        // prints its first lines rather than leave a file behind.
        var report = result.ToMarkdown().Split('\n');
        Console.WriteLine($"report ({report.Length} lines of Markdown), first lines:");
        foreach (var line in report.Take(6)) Console.WriteLine($"  | {line}");
        Console.WriteLine($"batch {result.BatchId}: {(result.Failed == 0 ? "completed" : "failed")}, {result.Successful}/{result.TotalFiles} files in {result.Duration.TotalSeconds:0.0}s");
        return result.Failed == 0 ? 0 : 5;
    }
}
