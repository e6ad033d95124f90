using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Gleitzeit.Core.Llm;

/// <summary>
/// Turns what an <c>IChatClient</c> throws into a classified <see cref="GleitzeitException"/>. Clients that know their
/// service better (the Ollama package) throw <see cref="GleitzeitException"/> themselves, which passes through unchanged.
/// </summary>
internal static class LlmErrors
{
    public static GleitzeitException Map(Exception ex, string service, string model, bool streamStarted)
    {
        switch (ex)
        {
            case GleitzeitException g:
                return g;
            case OperationCanceledException or TimeoutException:
                return new GleitzeitException(GleitzeitErrorCode.ProviderTimeout,
                    $"{service} did not answer in time (model '{model}'). A larger model may need a longer request timeout.", ex);
            case HttpRequestException { StatusCode: { } status } http:
                return FromStatus(status, http.Message, service, model, ex);
            case HttpRequestException http when IsConnectFailure(http) && !streamStarted:
                return new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                    $"Cannot connect to {service}: {Innermost(ex).Message}. Check that the service is running and the endpoint is right.", ex);
            case HttpRequestException or IOException when streamStarted || ex is HttpIOException || ex.InnerException is IOException:
                return new GleitzeitException(GleitzeitErrorCode.NetworkConnectionLost,
                    $"The connection to {service} was lost {(streamStarted ? "while the answer was streaming" : "before an answer arrived")} (model '{model}'): {Innermost(ex).Message}", ex);
            case HttpRequestException or IOException:
                return new GleitzeitException(GleitzeitErrorCode.NetworkError, $"Network error talking to {service} (model '{model}'): {Innermost(ex).Message}", ex);
            case JsonException or FormatException:
                return new GleitzeitException(GleitzeitErrorCode.ProviderInvalidResponse,
                    $"{service} sent a response that is not valid (model '{model}'): it could not be read as JSON. Is the endpoint really this service?", ex);
            default:
                return new GleitzeitException(GleitzeitErrorCode.ProviderError, $"{service} failed (model '{model}'): {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    private static GleitzeitException FromStatus(HttpStatusCode status, string message, string service, string model, Exception ex) => status switch
    {
        HttpStatusCode.TooManyRequests => new(GleitzeitErrorCode.ProviderRateLimited, $"{service} is rate limiting requests (HTTP 429); the task will be retried.", ex),
        HttpStatusCode.ServiceUnavailable => new(GleitzeitErrorCode.ProviderOverloaded, $"{service} is overloaded (HTTP 503); the task will be retried.", ex),
        HttpStatusCode.NotFound => new(GleitzeitErrorCode.ModelNotFound, $"Model '{model}' was not found at {service} (HTTP 404): {message}", ex),
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new(GleitzeitErrorCode.ProviderAuthenticationFailed, $"{service} refused the credentials (HTTP {(int)status}): {message}", ex),
        HttpStatusCode.RequestTimeout or HttpStatusCode.GatewayTimeout => new(GleitzeitErrorCode.ProviderTimeout, $"{service} timed out (HTTP {(int)status}).", ex),
        HttpStatusCode.BadGateway => new(GleitzeitErrorCode.ProviderNotAvailable, $"{service} is not reachable behind its gateway (HTTP 502).", ex),
        HttpStatusCode.BadRequest => new(GleitzeitErrorCode.InvalidParams, $"{service} rejected the request (HTTP 400, model '{model}'): {message}", ex),
        _ => new(GleitzeitErrorCode.ProviderError, $"{service} failed (HTTP {(int)status}, model '{model}'): {message}", ex),
    };

    private static bool IsConnectFailure(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
        || Innermost(ex) is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable };

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }
}
