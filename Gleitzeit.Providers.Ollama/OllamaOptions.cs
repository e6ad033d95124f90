namespace Gleitzeit.Providers.Ollama;

/// <summary>How Gleitzeit talks to Ollama. Bound by <c>AddOllama(o => ...)</c> and validated when the host starts.</summary>
public sealed class OllamaOptions
{
    /// <summary>Ollama's address. Default: <c>http://localhost:11434</c> (the CLI reads <c>GLEITZEIT_OLLAMA_URL</c>).</summary>
    public Uri Endpoint { get; set; } = new("http://localhost:11434");

    /// <summary>Model for <c>llm/chat</c> and <c>llm/generate</c> tasks that name none. Default: <c>llama3.2:latest</c>.</summary>
    public string DefaultModel { get; set; } = "llama3.2:latest";

    /// <summary>Model for <c>llm/vision</c> tasks that name none. Default: <c>llava:latest</c>.</summary>
    public string VisionModel { get; set; } = "llava:latest";

    /// <summary>Model for <c>llm/embed</c> tasks that name none. Default: <c>nomic-embed-text:latest</c>.</summary>
    public string EmbeddingModel { get; set; } = "nomic-embed-text:latest";

    /// <summary>Most LLM tasks sent to Ollama at once (Ollama serves a few requests in parallel and queues the rest). Default: 4.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>
    /// How long to wait for Ollama to start answering a request (loading a large model can take minutes).
    /// Default: 5 minutes. <see cref="Timeout.InfiniteTimeSpan"/>: no limit (the task's own timeout still applies).
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long Ollama keeps a model loaded after a request (<c>keep_alive</c>). Default: null (Ollama's own default, 5 minutes).
    /// <see cref="Timeout.InfiniteTimeSpan"/>: keep it loaded; <see cref="TimeSpan.Zero"/>: unload at once.</summary>
    public TimeSpan? KeepAlive { get; set; }

    /// <summary>Largest text file that <c>file_path</c> / <c>files</c> may attach. Default: 1 MiB.</summary>
    public long MaxFileBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest image that <c>llm/vision</c> sends. Default: 20 MiB.</summary>
    public long MaxImageBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>
    /// Models this provider serves, as patterns (<c>*</c> matches anything: <c>llama*</c>, <c>qwen2.5:*</c>). With several
    /// LLM providers, a task without <c>provider:</c> goes to the first whose pattern matches its model, else to the first
    /// provider with no patterns. Default: none (any model).
    /// </summary>
    public IList<string> Models { get; set; } = [];

    /// <summary>
    /// Adds Microsoft.Extensions.AI middleware around the Ollama chat client, e.g.
    /// <c>b => b.UseDistributedCache().UseLogging()</c>; services come from the container. Default: none.
    /// </summary>
    public Action<Microsoft.Extensions.AI.ChatClientBuilder>? ConfigureChatClient { get; set; }

    /// <summary>Problems with these options, one message each (empty when valid).</summary>
    internal IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttp && Endpoint.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"OllamaOptions.Endpoint must be an absolute http(s) URL such as http://localhost:11434, got '{Endpoint}'.");
        }
        if (string.IsNullOrWhiteSpace(DefaultModel)) errors.Add("OllamaOptions.DefaultModel must not be empty (e.g. llama3.2:latest).");
        if (string.IsNullOrWhiteSpace(VisionModel)) errors.Add("OllamaOptions.VisionModel must not be empty (e.g. llava:latest).");
        if (string.IsNullOrWhiteSpace(EmbeddingModel)) errors.Add("OllamaOptions.EmbeddingModel must not be empty (e.g. nomic-embed-text:latest).");
        if (MaxConcurrency < 1) errors.Add($"OllamaOptions.MaxConcurrency must be at least 1, got {MaxConcurrency}.");
        if (RequestTimeout <= TimeSpan.Zero && RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            errors.Add($"OllamaOptions.RequestTimeout must be positive (or Timeout.InfiniteTimeSpan), got {RequestTimeout}.");
        }
        if (KeepAlive is { } k && k < TimeSpan.Zero && k != Timeout.InfiniteTimeSpan)
        {
            errors.Add($"OllamaOptions.KeepAlive must be zero or positive (or Timeout.InfiniteTimeSpan), got {k}.");
        }
        foreach (var pattern in Models)
        {
            if (string.IsNullOrWhiteSpace(pattern)) errors.Add("OllamaOptions.Models must not hold an empty pattern.");
        }
        if (MaxFileBytes < 1) errors.Add("OllamaOptions.MaxFileBytes must be at least 1.");
        if (MaxImageBytes < 1) errors.Add("OllamaOptions.MaxImageBytes must be at least 1.");
        return errors;
    }

    internal OllamaOptions Clone()
    {
        var copy = (OllamaOptions)MemberwiseClone();
        copy.Models = [.. Models];
        return copy;
    }
}
