using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gleitzeit.Core;

namespace Gleitzeit.Providers.Ollama;

/// <summary>
/// Sits under OllamaSharp on the HttpClient: adds <c>keep_alive</c>, enforces the request timeout, and turns Ollama's
/// failures (connection refused, 404 model not found, 401/403 from a proxy, 429/503 with Retry-After, 500) into classified errors that say how to fix them.
/// </summary>
internal sealed partial class OllamaHttpHandler : DelegatingHandler
{
    private readonly Uri _endpoint;
    private readonly TimeSpan _requestTimeout;
    private readonly string? _keepAlive;
    private readonly TimeProvider _time;

    public OllamaHttpHandler(OllamaOptions options, HttpMessageHandler inner, TimeProvider? time = null) : this(options, time)
    {
        InnerHandler = inner;
    }

    /// <summary>For an <c>IHttpClientFactory</c> pipeline, which sets the inner handler itself.</summary>
    public OllamaHttpHandler(OllamaOptions options, TimeProvider? time)
    {
        _endpoint = options.Endpoint;
        _requestTimeout = options.RequestTimeout;
        _keepAlive = options.KeepAlive switch
        {
            null => null,
            { } k when k == Timeout.InfiniteTimeSpan => "-1",
            { } k => ((long)k.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
        };
        _time = time ?? TimeProvider.System;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? "";
        var isInference = path.EndsWith("/api/chat", StringComparison.Ordinal) || path.EndsWith("/api/generate", StringComparison.Ordinal) || path.EndsWith("/api/embed", StringComparison.Ordinal);
        string? model = null;
        if (isInference && request.Content is not null)
        {
            var body = await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (JsonNode.Parse(body) is JsonObject obj)
            {
                model = obj["model"] is JsonValue m && m.TryGetValue<string>(out var s) ? s : null;
                if (_keepAlive is not null && obj["keep_alive"] is null)
                {
                    obj["keep_alive"] = _keepAlive;
                    body = obj.ToJsonString();
                }
            }
            var mediaType = request.Content.Headers.ContentType?.MediaType ?? "application/json";
            request.Content = new StringContent(body, Encoding.UTF8, mediaType);
        }

        using var timeout = _requestTimeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(_requestTimeout, _time);
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, linked?.Token ?? cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout?.IsCancellationRequested == true && !cancellationToken.IsCancellationRequested)
        {
            throw new GleitzeitException(GleitzeitErrorCode.ProviderTimeout,
                $"Ollama at {_endpoint} did not answer within {_requestTimeout.TotalSeconds:0.###} s{For(model)}. Loading a large model can take minutes: raise OllamaOptions.RequestTimeout.", ex);
        }
        catch (HttpRequestException ex) when (IsConnectFailure(ex))
        {
            throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                $"Cannot connect to Ollama at {_endpoint} ({Innermost(ex).Message}): is `ollama serve` running at {_endpoint}? Start it, or point OllamaOptions.Endpoint (GLEITZEIT_OLLAMA_URL for the CLI) at the right address.", ex);
        }

        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var error = ErrorMessage(text);
            var status = (int)response.StatusCode;
            var retryAfter = RetryAfter(response);
            switch (response.StatusCode)
            {
                case HttpStatusCode.NotFound when error.Contains("not found", StringComparison.OrdinalIgnoreCase) && isInference:
                    var missing = NotFoundModel().Match(error) is { Success: true } mm ? mm.Groups[1].Value : model ?? "(unknown)";
                    throw new GleitzeitException(GleitzeitErrorCode.ModelNotFound,
                        $"Model '{missing}' is not installed in Ollama at {_endpoint}: run `ollama pull {missing}` (or name an installed model; `ollama list` shows them).",
                        data: new JsonObject { ["model"] = missing, ["status"] = status });
                case HttpStatusCode.TooManyRequests:
                    throw new GleitzeitException(GleitzeitErrorCode.ProviderRateLimited,
                        $"Ollama at {_endpoint} is rate limiting requests (HTTP 429{After(retryAfter)}){For(model)}: {error}. The task is retried; lower OllamaOptions.MaxConcurrency if this persists.",
                        data: new JsonObject { ["status"] = status })
                    { RetryAfter = retryAfter };
                case HttpStatusCode.ServiceUnavailable:
                    throw new GleitzeitException(GleitzeitErrorCode.ProviderOverloaded,
                        $"Ollama at {_endpoint} is overloaded (HTTP 503{After(retryAfter)}){For(model)}: {error}. The task is retried; lower OllamaOptions.MaxConcurrency or raise OLLAMA_MAX_QUEUE / OLLAMA_NUM_PARALLEL on the server.",
                        data: new JsonObject { ["status"] = status })
                    { RetryAfter = retryAfter };
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                    // Ollama has no authentication of its own: a proxy or gateway in front of it asked for credentials.
                    throw new GleitzeitException(GleitzeitErrorCode.ProviderAuthenticationFailed,
                        $"Ollama at {_endpoint} refused the request (HTTP {status}, {(status == 401 ? "authentication required" : "forbidden")}){For(model)}: {error}. "
                        + "Ollama itself has no authentication, so a proxy in front of it wants credentials: check that the endpoint is the right server and that the proxy lets this client in.",
                        data: new JsonObject { ["status"] = status, ["error"] = error });
                case HttpStatusCode.BadRequest:
                    throw new GleitzeitException(GleitzeitErrorCode.InvalidParams,
                        $"Ollama at {_endpoint} rejected the request (HTTP 400){For(model)}: {error}", data: new JsonObject { ["status"] = status });
                case HttpStatusCode.GatewayTimeout or HttpStatusCode.RequestTimeout:
                    throw new GleitzeitException(GleitzeitErrorCode.ProviderTimeout,
                        $"Ollama at {_endpoint} timed out (HTTP {status}){For(model)}: {error}", data: new JsonObject { ["status"] = status });
                case HttpStatusCode.BadGateway:
                    throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                        $"Ollama at {_endpoint} is not reachable behind its proxy (HTTP 502){For(model)}: {error}", data: new JsonObject { ["status"] = status });
                default:
                    throw new GleitzeitException(GleitzeitErrorCode.ProviderError,
                        $"Ollama at {_endpoint} failed (HTTP {status}){For(model)}: {error}. Check the Ollama server log (`journalctl -u ollama` or the terminal running `ollama serve`).",
                        data: new JsonObject { ["status"] = status, ["error"] = error });
            }
        }
    }

    private static string For(string? model) => model is null ? "" : $" for model '{model}'";

    private static string After(TimeSpan? retryAfter) => retryAfter is { } r ? $", retry after {r.TotalSeconds:0.###} s" : "";

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    private static string ErrorMessage(string body)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject o && o["error"] is JsonValue e && e.TryGetValue<string>(out var s)) return s;
        }
        catch (JsonException)
        {
            // not Ollama's error shape: show the text
        }
        var trimmed = body.Trim();
        return trimmed.Length == 0 ? "(no details)" : trimmed.Length > 300 ? trimmed[..300] + "..." : trimmed;
    }

    private static bool IsConnectFailure(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
        || Innermost(ex) is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable };

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }

    [GeneratedRegex("model \"([^\"]+)\" not found")]
    private static partial Regex NotFoundModel();
}
