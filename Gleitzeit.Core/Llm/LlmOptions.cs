using Microsoft.Extensions.AI;

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

    /// <summary>
    /// Models this provider serves, as patterns (<c>*</c> matches any run of characters, case-insensitive: <c>gpt-*</c>,
    /// <c>llama3*</c>). A task without <c>provider:</c> goes to the first provider whose pattern matches its model, else to
    /// the first provider with no patterns (the default). Default: none (this provider serves any model).
    /// </summary>
    public IList<string> Models { get; set; } = [];

    /// <summary>
    /// Adds Microsoft.Extensions.AI middleware around the chat client (<c>UseDistributedCache()</c>, <c>UseLogging()</c>,
    /// <c>UseOpenTelemetry()</c>, ...), applied when the provider is created through dependency injection (services are
    /// resolved from the container). Default: none.
    /// </summary>
    public Action<ChatClientBuilder>? ConfigureChatClient { get; set; }

    /// <summary>Whether this provider serves <paramref name="model"/>: true when a pattern matches, false when none does, null when there are no patterns.</summary>
    public bool? Serves(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Models.Count == 0) return null;
        foreach (var pattern in Models)
        {
            if (Matches(pattern, model)) return true;
        }
        return false;
    }

    internal static bool Matches(string pattern, string model)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(model, regex, System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    internal LlmOptions Clone()
    {
        var copy = (LlmOptions)MemberwiseClone();
        copy.Models = [.. Models];
        return copy;
    }
}
