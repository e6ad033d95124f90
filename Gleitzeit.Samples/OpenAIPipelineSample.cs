using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.TestServers.OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Samples;

/// <summary>
/// AddOpenAI with a Microsoft.Extensions.AI pipeline: a distributed cache answers the second identical question without
/// a request, and logging sees every call. Uses GLEITZEIT_OPENAI_URL / GLEITZEIT_OPENAI_API_KEY (or OPENAI_API_KEY), or
/// with --test-server a local OpenAI-API test server.
/// </summary>
internal static class OpenAIPipelineSample
{
    public static async Task<int> RunAsync(SampleContext context)
    {
        await using var testServer = context.TestServer ? await OpenAITestServer.StartAsync(apiKey: "sk-sample") : null;
        var url = testServer?.BaseUri ?? (Environment.GetEnvironmentVariable("GLEITZEIT_OPENAI_URL") is { Length: > 0 } u ? new Uri(u) : null);
        var key = testServer is not null ? "sk-sample" : Environment.GetEnvironmentVariable("GLEITZEIT_OPENAI_API_KEY") ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY");
        if (url is null && string.IsNullOrEmpty(key))
        {
            Console.Error.WriteLine("error: no OpenAI endpoint: set GLEITZEIT_OPENAI_URL (an OpenAI-compatible server) or OPENAI_API_KEY (OpenAI itself).");
            Console.Error.WriteLine("hint: add --test-server to run against a local OpenAI-API test server.");
            return 3;
        }

        var services = new ServiceCollection();
        services.AddDistributedMemoryCache();
        services.AddLogging();
        services.AddGleitzeit()
            .AddOpenAI(o =>
            {
                o.Endpoint = url;
                o.ApiKey = key;
                o.DefaultModel = Environment.GetEnvironmentVariable("GLEITZEIT_OPENAI_MODEL") ?? "gpt-4o-mini";
                // Middleware around the chat client, outermost first: the cache answers repeats, logging sees the rest.
                o.ConfigureChatClient = pipeline => pipeline.UseDistributedCache().UseLogging();
            });
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<ExecutionEngine>();

        var workflow = new WorkflowBuilder("cached-questions")
            .Chat("first", prompt: "Name one use of solar power in five words.")
            .Chat("again", prompt: "Name one use of solar power in five words.", dependsOn: ["first"])
            .Build();
        var run = await engine.RunAsync(workflow);

        Console.WriteLine($"first: {run.GetResult("first")?["response"]}");
        Console.WriteLine($"again: {run.GetResult("again")?["response"]} (from the cache)");
        if (testServer is not null) Console.WriteLine($"HTTP requests the server saw: {testServer.ChatRequests.Count}");
        Console.WriteLine($"tokens: {run.Usage.Total.TotalTokens} in {run.Usage.Total.Calls} results");
        return Report.Outcome(run);
    }
}
