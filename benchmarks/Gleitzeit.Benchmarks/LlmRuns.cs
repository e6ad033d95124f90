using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Providers.Ollama;
using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Benchmarks;

/// <summary>
/// LLM batch efficiency: ideal time (files × latency / concurrency) over actual, against the Ollama-API test server
/// with a fixed latency. BatchProcessor is still a placeholder on main, so the batch is approximated by a workflow of
/// independent llm/chat tasks with Workflow.MaxConcurrency 8.
/// </summary>
internal static class LlmRuns
{
    public static async Task MeasureAsync(Report report, bool quick)
    {
        const int concurrency = 8;
        var latency = TimeSpan.FromMilliseconds(20);
        var files = quick ? 200 : 1_000;
        await using var server = await OllamaTestServer.StartAsync();
        server.Latency = latency;
        server.Reply("ok");
        using var provider = new OllamaProvider(new OllamaOptions { Endpoint = server.BaseUri });
        var tasks = Enumerable.Range(0, files).Select(i => new WorkflowTask
        {
            Id = "f" + i, Protocol = "llm/v1", Method = "llm/chat", Parameters = new JsonObject { ["prompt"] = $"summarise file {i}" },
        }).ToArray();
        var workflow = new Workflow { Name = "llm-batch", Tasks = tasks, MaxConcurrency = concurrency };
        var engine = GleitzeitRuns.Engine(provider: provider, maxConcurrency: concurrency);
        try
        {
            var s = await Macro.RunAsync(1, quick ? 2 : 3, files, () => GleitzeitRuns.RunAsync(engine, workflow));
            report.Add("5 providers", $"llm/chat x{files}, 20 ms latency, concurrency 8", s);
            var ideal = files * latency.TotalSeconds / concurrency;
            var efficiency = ideal / s.Median;
            report.Target("LLM batch efficiency >= 0.9", efficiency >= 0.9, $"{efficiency:N2}");
            report.Note($"LLM batch: {files:N0} independent llm/chat tasks with Workflow.MaxConcurrency 8, the workflow BatchProcessor runs; ideal {ideal * 1000:N0} ms");
        }
        finally { await engine.DisposeAsync(); }
    }
}
