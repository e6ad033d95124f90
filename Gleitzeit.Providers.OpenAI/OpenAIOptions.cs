using Microsoft.Extensions.AI;

namespace Gleitzeit.Providers.OpenAI;

/// <summary>
/// How Gleitzeit talks to OpenAI, Azure OpenAI or an OpenAI-compatible server (vLLM, llama.cpp, LM Studio, ...).
/// Bound by <c>AddOpenAI(o => ...)</c> and validated when the host starts. The API key is never logged or put in an error.
/// </summary>
public sealed class OpenAIOptions
{
    /// <summary>
    /// The API's base address, e.g. <c>http://localhost:8000/v1</c> (vLLM), <c>http://localhost:1234/v1</c> (LM Studio) or
    /// <c>https://RESOURCE.openai.azure.com/openai/v1/</c> (Azure OpenAI). Default: null, OpenAI's own <c>https://api.openai.com/v1</c>.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The API key. Default: null, read from the environment variable <see cref="ApiKeyEnvironmentVariable"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The environment variable holding the API key when <see cref="ApiKey"/> is not set. Default: <c>OPENAI_API_KEY</c>.</summary>
    public string ApiKeyEnvironmentVariable { get; set; } = "OPENAI_API_KEY";

    /// <summary>Model for tasks that name none. Default: <c>gpt-4o-mini</c>.</summary>
    public string DefaultModel { get; set; } = "gpt-4o-mini";

    /// <summary>Model for <c>llm/vision</c> tasks that name none. Default: null (<see cref="DefaultModel"/>).</summary>
    public string? VisionModel { get; set; }

    /// <summary>
    /// Models this provider serves, as patterns (<c>gpt-*</c>, <c>o3*</c>). With several LLM providers, a task without
    /// <c>provider:</c> goes to the first whose pattern matches its model, else to the first provider with no patterns.
    /// Default: none (any model).
    /// </summary>
    public IList<string> Models { get; set; } = [];

    /// <summary>Most LLM tasks sent at once. Default: 8.</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>How long one request may take (the task's own timeout still applies). Default: 5 minutes.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Adds Microsoft.Extensions.AI middleware around the chat client, e.g. <c>b => b.UseDistributedCache().UseOpenTelemetry()</c>. Default: none.</summary>
    public Action<ChatClientBuilder>? ConfigureChatClient { get; set; }

    /// <summary>The key in effect: <see cref="ApiKey"/>, else the environment variable's value, else null.</summary>
    internal string? ResolveApiKey() =>
        !string.IsNullOrEmpty(ApiKey) ? ApiKey
        : string.IsNullOrWhiteSpace(ApiKeyEnvironmentVariable) ? null
        : Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;

    /// <summary>Whether the endpoint is OpenAI's or Azure's own service (which refuse calls without a key), not a local server.</summary>
    internal bool IsHostedService => Endpoint is null
        || Endpoint.Host.EndsWith("openai.com", StringComparison.OrdinalIgnoreCase)
        || Endpoint.Host.EndsWith(".azure.com", StringComparison.OrdinalIgnoreCase);

    internal bool IsAzure => Endpoint?.Host.EndsWith(".azure.com", StringComparison.OrdinalIgnoreCase) == true;

    internal string Describe() => Endpoint is null ? "OpenAI" : IsAzure ? $"Azure OpenAI at {Endpoint}" : $"the OpenAI-compatible server at {Endpoint}";

    /// <summary>Problems with these options, one message each (empty when valid).</summary>
    internal IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Endpoint is not null && (!Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttp && Endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"OpenAIOptions.Endpoint must be an absolute http(s) URL such as http://localhost:8000/v1, got '{Endpoint}'.");
        }
        if (string.IsNullOrWhiteSpace(DefaultModel)) errors.Add("OpenAIOptions.DefaultModel must not be empty (e.g. gpt-4o-mini).");
        if (MaxConcurrency < 1) errors.Add($"OpenAIOptions.MaxConcurrency must be at least 1, got {MaxConcurrency}.");
        if (RequestTimeout <= TimeSpan.Zero) errors.Add($"OpenAIOptions.RequestTimeout must be positive, got {RequestTimeout}.");
        foreach (var pattern in Models)
        {
            if (string.IsNullOrWhiteSpace(pattern)) errors.Add("OpenAIOptions.Models must not hold an empty pattern.");
        }
        if (IsHostedService && ResolveApiKey() is null)
        {
            errors.Add($"{Describe()} needs an API key: set OpenAIOptions.ApiKey or the environment variable {ApiKeyEnvironmentVariable} "
                + "(CLI: providers.openai.api_key_env, or GLEITZEIT_OPENAI_API_KEY).");
        }
        return errors;
    }

    internal OpenAIOptions Clone()
    {
        var copy = (OpenAIOptions)MemberwiseClone();
        copy.Models = [.. Models];
        return copy;
    }
}
