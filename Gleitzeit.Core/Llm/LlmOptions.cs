namespace Gleitzeit.Core.Llm;

/// <summary>Settings of the <c>llm/v1</c> provider: which models to use when a task names none, and input limits.</summary>
public sealed class LlmOptions
{
    /// <summary>Model for <c>llm/chat</c> and <c>llm/generate</c> when the task sets no <c>model</c>. Default: none (the task must name one).</summary>
    public string? DefaultModel { get; set; }

    /// <summary>Model for <c>llm/vision</c> when the task sets no <c>model</c>. Default: none (falls back to <see cref="DefaultModel"/>).</summary>
    public string? VisionModel { get; set; }

    /// <summary>Model for <c>llm/embed</c> when the task sets no <c>model</c>. Default: none (the task must name one).</summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>Largest text file that <c>file_path</c> / <c>files</c> may attach. Default: 1 MiB.</summary>
    public long MaxFileBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest image (file or decoded base64) that <c>llm/vision</c> sends. Default: 20 MiB.</summary>
    public long MaxImageBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>Name of the service in error messages, e.g. "Ollama at http://localhost:11434". Default: "the LLM service".</summary>
    public string ServiceName { get; set; } = "the LLM service";

    /// <summary>Requests and tokens per minute this provider may use (see <see cref="Cost.RateLimitOptions"/>). Default: none.</summary>
    public Cost.RateLimitOptions? RateLimit { get; set; }

    internal LlmOptions Clone()
    {
        var copy = (LlmOptions)MemberwiseClone();
        copy.RateLimit = RateLimit?.Clone();
        return copy;
    }
}
