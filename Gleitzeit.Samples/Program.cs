using Gleitzeit.Samples;

// Small, separate samples: `dotnet run --project Gleitzeit.Samples -- NAME [--test-server]`; no arguments lists them.
Sample[] samples =
[
    new("code-built", "a workflow built in C# with WorkflowBuilder: an LLM answer, then Python counts its words", true, CodeBuiltSample.RunAsync),
    new("yaml", "a workflow loaded from YAML text, with an input and a reference between tasks", true, YamlSample.RunAsync),
    new("batch", "one LLM summary per text file of a folder (a type: batch workflow)", true, FolderBatchSample.RunAsync),
    new("custom-provider", "your own ITaskProvider (protocol text/v1) used by a workflow; no Ollama needed", false, CustomProviderSample.RunAsync),
    new("hosted-worker", "Gleitzeit inside a Generic Host: a BackgroundService runs workflows with ExecutionEngine", true, HostedWorkerSample.RunAsync),
    new("events", "watching a run's events and streaming an LLM's tokens as they arrive", true, EventsSample.RunAsync),
    new("approvals", "human in the loop: a hosted app whose HTTP endpoint approves a waiting task; the run continues", false, ApprovalEndpointSample.RunAsync),
    new("openai-pipeline", "AddOpenAI with a ChatClientBuilder pipeline: a distributed cache answers a repeated question (OpenAI or a compatible server)", false, OpenAIPipelineSample.RunAsync),
];

var testServer = args.Contains("--test-server");
var names = args.Where(a => a != "--test-server").ToList();
if (names.Count == 0)
{
    Console.WriteLine("Gleitzeit samples. Run one with: dotnet run --project Gleitzeit.Samples -- NAME [--test-server]");
    Console.WriteLine();
    foreach (var s in samples) Console.WriteLine($"  {s.Name,-16} {s.Description}{(s.NeedsOllama ? " (Ollama)" : "")}");
    Console.WriteLine();
    Console.WriteLine("Samples marked (Ollama) use GLEITZEIT_OLLAMA_URL (default http://localhost:11434);");
    Console.WriteLine("--test-server runs them against a built-in Ollama-API test server that echoes prompts instead.");
    return 0;
}

var sample = samples.FirstOrDefault(s => s.Name == names[0]);
if (sample is null || names.Count > 1)
{
    Console.Error.WriteLine($"error: unknown sample '{string.Join(' ', names)}'.");
    Console.Error.WriteLine($"hint: one of {string.Join(", ", samples.Select(s => s.Name))} (run without arguments for the list).");
    return 2;
}

await using var ollama = sample.NeedsOllama ? await OllamaConnection.OpenAsync(testServer) : null;
if (sample.NeedsOllama && ollama is null) return 3;
return await sample.RunAsync(new SampleContext(ollama?.Endpoint ?? new Uri("http://localhost:11434"), testServer));
