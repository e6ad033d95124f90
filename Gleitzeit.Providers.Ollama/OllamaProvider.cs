using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.AI;
using OllamaSharp;

namespace Gleitzeit.Providers.Ollama;

/// <summary>
/// <c>llm/v1</c> served by Ollama: <c>llm/chat</c>, <c>llm/generate</c>, <c>llm/vision</c> and <c>llm/embed</c> through
/// OllamaSharp's <see cref="OllamaApiClient"/> (as a Microsoft.Extensions.AI client), plus Ollama's health
/// (<c>/api/version</c>, <c>/api/tags</c>) and model list. Registered by <c>AddOllama()</c>.
/// </summary>
public sealed class OllamaProvider : ITaskProvider, IAsyncDisposable, IDisposable
{
    private readonly OllamaOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly OllamaApiClient _client;
    private readonly LlmProvider _llm;
    private int _disposed;

    /// <summary>
    /// Creates the provider. Without <paramref name="httpClient"/> it creates (and disposes) its own, which also classifies
    /// Ollama's errors and applies <see cref="OllamaOptions.RequestTimeout"/> and <see cref="OllamaOptions.KeepAlive"/>.
    /// A given <paramref name="httpClient"/> is used as is (its BaseAddress is set to the endpoint when empty) and not disposed.
    /// </summary>
    public OllamaProvider(OllamaOptions options, HttpClient? httpClient = null)
        : this(options, httpClient, null)
    {
    }

    internal OllamaProvider(OllamaOptions options, HttpClient? httpClient, TimeProvider? time)
        : this(options, httpClient, time, null, null)
    {
    }

    /// <summary>
    /// Creates the provider as dependency injection does: <paramref name="services"/> serve the
    /// <see cref="OllamaOptions.ConfigureChatClient"/> middleware, <paramref name="toolSources"/> the tasks' <c>tools</c>.
    /// </summary>
    internal OllamaProvider(OllamaOptions options, HttpClient? httpClient, TimeProvider? time, IServiceProvider? services, IEnumerable<ILlmToolSource>? toolSources)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        _options = options.Clone();
        if (httpClient is null)
        {
            _http = new HttpClient(new OllamaHttpHandler(_options, new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, time))
            {
                BaseAddress = _options.Endpoint,
                // the handler applies RequestTimeout to the wait for an answer; a streamed answer may then take as long as it needs
                Timeout = Timeout.InfiniteTimeSpan,
            };
            _ownsHttp = true;
        }
        else
        {
            _http = httpClient;
            _http.BaseAddress ??= _options.Endpoint;
        }
        _client = new OllamaApiClient(_http, _options.DefaultModel);
        var pipeline = new ChatClientBuilder(new OllamaStreamGuard(_client, _options.Endpoint));
        _options.ConfigureChatClient?.Invoke(pipeline);
        _llm = new LlmProvider(pipeline.Build(services), _client, new LlmOptions
        {
            Models = [.. _options.Models],
            DefaultModel = _options.DefaultModel,
            VisionModel = _options.VisionModel,
            EmbeddingModel = _options.EmbeddingModel,
            MaxFileBytes = _options.MaxFileBytes,
            MaxImageBytes = _options.MaxImageBytes,
            ServiceName = $"Ollama at {_options.Endpoint}",
            RateLimit = _options.RateLimit,
        }, toolSources);
    }

    /// <inheritdoc />
    public ProtocolDescriptor Protocol => _llm.Protocol;

    /// <summary>The address this provider talks to.</summary>
    public Uri Endpoint => _options.Endpoint;

    /// <summary>The options in effect (a copy).</summary>
    public OllamaOptions Options => _options.Clone();

    /// <summary>The Microsoft.Extensions.AI chat client underneath (OllamaSharp's), for code that wants to call Ollama directly.</summary>
    public IChatClient ChatClient => _client;

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
    /// Asks Ollama for its version (<c>/api/version</c>) and models (<c>/api/tags</c>). Unhealthy when it cannot be reached or answers
    /// with an error; degraded when the default model is not installed. Details: <c>endpoint</c>, <c>version</c>, <c>models</c>, and
    /// <c>error_code</c> (e.g. <c>PROVIDER_NOT_AVAILABLE</c>, <c>PROVIDER_AUTHENTICATION_FAILED</c>) when unhealthy.
    /// </summary>
    public async ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var details = new JsonObject { ["endpoint"] = _options.Endpoint.ToString() };
        try
        {
            var version = await _client.GetVersionAsync(cancellationToken).ConfigureAwait(false);
            details["version"] = version?.ToString();
            var models = await ListModelsAsync(cancellationToken).ConfigureAwait(false);
            details["models"] = new JsonArray(models.Select(m => (JsonNode)m.Name).ToArray());
            details["default_model"] = _options.DefaultModel;
            if (!models.Any(m => SameModel(m.Name, _options.DefaultModel)))
            {
                return new ProviderHealth(ProviderHealthStatus.Degraded,
                    $"Ollama {version} is running at {_options.Endpoint}, but the default model '{_options.DefaultModel}' is not installed: run `ollama pull {_options.DefaultModel}`.", details);
            }
            return ProviderHealth.Healthy($"Ollama {version} at {_options.Endpoint}, {models.Count} model(s)", details);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var message = ex is GleitzeitException g ? g.Message : $"Ollama at {_options.Endpoint} did not answer properly: {ex.Message}";
            // The code tells "not running" from "a proxy wants credentials" or "not Ollama", which need different fixes.
            details["error_code"] = (ex as GleitzeitException)?.Code.Name() ?? GleitzeitErrorCode.ProviderInvalidResponse.Name();
            return ProviderHealth.Unhealthy(message, details);
        }
    }

    /// <summary>Models installed in Ollama (<c>/api/tags</c>), by name. Throws <see cref="GleitzeitException"/> when Ollama cannot be reached.</summary>
    public async Task<IReadOnlyList<OllamaModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        IEnumerable<OllamaSharp.Models.Model> models;
        try
        {
            models = await _client.ListLocalModelsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not GleitzeitException && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            throw new GleitzeitException(GleitzeitErrorCode.ProviderInvalidResponse, $"Ollama at {_options.Endpoint} answered /api/tags with something unreadable: {ex.Message}", ex);
        }
        return models
            .Select(m => new OllamaModelInfo(m.Name, m.Size, m.ModifiedAt == default ? null : new DateTimeOffset(m.ModifiedAt.ToUniversalTime()),
                m.Details?.Family, m.Details?.ParameterSize, m.Details?.QuantizationLevel, m.Digest))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Disposes the Ollama client, and the HTTP client when the provider created it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _client.Dispose();
        if (_ownsHttp) _http.Dispose();
    }

    /// <summary>Same as <see cref="Dispose"/>; nothing is awaited.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static bool SameModel(string a, string b) =>
        string.Equals(WithTag(a), WithTag(b), StringComparison.Ordinal);

    private static string WithTag(string name) => name.Contains(':', StringComparison.Ordinal) ? name : name + ":latest";
}
