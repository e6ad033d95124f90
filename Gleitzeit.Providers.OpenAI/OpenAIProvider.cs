using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Gleitzeit.Providers.OpenAI;

/// <summary>
/// <c>llm/v1</c> served by OpenAI, Azure OpenAI or an OpenAI-compatible server (vLLM, llama.cpp, LM Studio, ...) through
/// Microsoft.Extensions.AI.OpenAI: <c>llm/chat</c>, <c>llm/generate</c>, <c>llm/vision</c> with every chat option,
/// structured output and tools. The SDK's own retries are off: Gleitzeit's retry policy decides (honouring Retry-After).
/// Registered by <c>AddOpenAI()</c>.
/// </summary>
public sealed class OpenAIProvider : ITaskProvider, IAsyncDisposable, IDisposable
{
    private readonly OpenAIOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly OpenAIClient _client;
    private readonly ModelChatClient _chat;
    private readonly LlmProvider _llm;
    private int _disposed;

    /// <summary>
    /// Creates the provider. Without <paramref name="httpClient"/> it creates (and disposes) its own; a given one is used as
    /// is and not disposed.
    /// </summary>
    public OpenAIProvider(OpenAIOptions options, HttpClient? httpClient = null)
        : this(options, httpClient, null, null)
    {
    }

    internal OpenAIProvider(OpenAIOptions options, HttpClient? httpClient, IServiceProvider? services, IEnumerable<ILlmToolSource>? toolSources)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        _options = options.Clone();
        var key = _options.ResolveApiKey();
        if (httpClient is null)
        {
            HttpMessageHandler handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            if (_options.IsAzure && key is not null) handler = new AzureApiKeyHandler(key) { InnerHandler = handler };
            _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            _ownsHttp = true;
        }
        else
        {
            _http = httpClient;
        }
        var clientOptions = new OpenAIClientOptions
        {
            Transport = new HttpClientPipelineTransport(_http),
            // Gleitzeit's retry policy decides, with the task's attempts and the server's Retry-After.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = _options.RequestTimeout,
        };
        if (_options.Endpoint is not null) clientOptions.Endpoint = _options.Endpoint;
        // Local OpenAI-compatible servers usually take no key; the SDK insists on one, which they ignore.
        _client = new OpenAIClient(new ApiKeyCredential(key ?? "no-key"), clientOptions);
        _chat = new ModelChatClient(_client, _options);
        var pipeline = new ChatClientBuilder(_chat);
        _options.ConfigureChatClient?.Invoke(pipeline);
        _llm = new LlmProvider(pipeline.Build(services), null, new LlmOptions
        {
            DefaultModel = _options.DefaultModel,
            VisionModel = _options.VisionModel,
            Models = [.. _options.Models],
            ServiceName = _options.Describe(),
        }, toolSources);
    }

    /// <inheritdoc />
    public ProtocolDescriptor Protocol => _llm.Protocol;

    /// <summary>The options in effect (a copy).</summary>
    public OpenAIOptions Options => _options.Clone();

    /// <summary>The chat client tasks are sent to, with the middleware of <see cref="OpenAIOptions.ConfigureChatClient"/>.</summary>
    public IChatClient ChatClient => _llm.ChatClient;

    /// <summary>This provider, or what the <c>llm/v1</c> provider underneath offers (the <see cref="LlmProvider"/> itself, for routing by model).</summary>
    public object? GetService(Type serviceType)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceType.IsInstanceOfType(this) ? this : ((ITaskProvider)_llm).GetService(serviceType);
    }

    /// <inheritdoc />
    public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _llm.ExecuteAsync(invocation, cancellationToken);
    }

    /// <summary>
    /// Lists the endpoint's models (<c>GET /models</c>). Unhealthy when it cannot be reached or refuses the key (<c>error_code</c>
    /// says which); degraded when the default model is not among them.
    /// </summary>
    public async ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var details = new JsonObject
        {
            ["endpoint"] = (_options.Endpoint ?? new Uri("https://api.openai.com/v1")).ToString(),
            ["default_model"] = _options.DefaultModel,
            ["api_key"] = _options.ResolveApiKey() is null ? "none" : "set",
        };
        if (_options.Models.Count > 0) details["model_patterns"] = new JsonArray(_options.Models.Select(m => (JsonNode)m).ToArray());
        try
        {
            var models = await ListModelsAsync(cancellationToken).ConfigureAwait(false);
            details["models"] = new JsonArray(models.Select(m => (JsonNode)m).ToArray());
            if (models.Count > 0 && !models.Contains(_options.DefaultModel, StringComparer.Ordinal))
            {
                return new ProviderHealth(ProviderHealthStatus.Degraded,
                    $"{_options.Describe()} answers, but does not list the default model '{_options.DefaultModel}'; it serves: {string.Join(", ", models.Take(10))}.", details);
            }
            return ProviderHealth.Healthy($"{_options.Describe()}, {models.Count} model(s)", details);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var mapped = OpenAIErrors.Map(ex, _options, null);
            details["error_code"] = (mapped as GleitzeitException)?.Code.Name() ?? GleitzeitErrorCode.ProviderNotAvailable.Name();
            return ProviderHealth.Unhealthy(mapped is GleitzeitException g ? g.Message : $"{_options.Describe()} did not answer: {mapped.Message}", details);
        }
    }

    /// <summary>The ids of the models the endpoint lists (<c>GET /models</c>), sorted.</summary>
    public async Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var models = await _client.GetOpenAIModelClient().GetModelsAsync(cancellationToken).ConfigureAwait(false);
        return models.Value.Select(m => m.Id).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Disposes the chat client, and the HTTP client when the provider created it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _chat.Dispose();
        if (_ownsHttp) _http.Dispose();
    }

    /// <summary>Same as <see cref="Dispose"/>; nothing is awaited.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
