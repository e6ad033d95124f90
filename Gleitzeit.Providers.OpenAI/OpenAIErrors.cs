using System.ClientModel;
using System.Globalization;
using System.Text.Json;
using Gleitzeit.Core;

namespace Gleitzeit.Providers.OpenAI;

/// <summary>Turns the OpenAI SDK's <see cref="ClientResultException"/> into a classified <see cref="GleitzeitException"/> that says how to fix it.</summary>
internal static class OpenAIErrors
{
    // Quotes the server's words as written: backticks and apostrophes stay readable.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Exception Map(Exception ex, OpenAIOptions options, string? model)
    {
        if (ex is not ClientResultException result) return ex;
        // Status 0: no answer at all (connection refused, DNS): the inner HttpRequestException is classified by Core.
        if (result.Status == 0) return ex.InnerException ?? ex;
        var service = options.Describe();
        var response = result.GetRawResponse();
        var said = ServerMessage(response?.Content?.ToString()) ?? result.Message;
        var quoted = System.Text.Json.Nodes.JsonValue.Create(said).ToJsonString(Readable);
        var forModel = model is null ? "" : $", model '{model}'";
        return result.Status switch
        {
            401 => new GleitzeitException(GleitzeitErrorCode.ProviderAuthenticationFailed,
                $"{service} refused the API key (HTTP 401, authentication failed{forModel}): it answered {quoted}. Set OpenAIOptions.ApiKey or the environment variable "
                + $"{options.ApiKeyEnvironmentVariable} (CLI: providers.openai.api_key_env, or GLEITZEIT_OPENAI_API_KEY) to a valid key.", ex),
            403 => new GleitzeitException(GleitzeitErrorCode.ProviderAuthenticationFailed,
                $"{service} refused access (HTTP 403, permission denied{forModel}): it answered {quoted}. The key is valid but may not use this model or project.", ex),
            404 => new GleitzeitException(GleitzeitErrorCode.ModelNotFound,
                $"{service} does not serve model '{model}' (HTTP 404): it answered {quoted}. Name a model the endpoint serves (`gleitzeit provider health` lists them) "
                + "or change the default model (OpenAIOptions.DefaultModel, providers.openai.default_model).", ex),
            429 => new GleitzeitException(GleitzeitErrorCode.ProviderRateLimited,
                $"{service} is rate limiting requests (HTTP 429{forModel}): it answered {quoted}. The task is retried{(RetryAfter(response) is { } a ? $" after {a.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s, as the server asked" : "")}.", ex)
            {
                RetryAfter = RetryAfter(response),
            },
            503 => new GleitzeitException(GleitzeitErrorCode.ProviderOverloaded, $"{service} is overloaded (HTTP 503{forModel}): it answered {quoted}. The task is retried.", ex)
            {
                RetryAfter = RetryAfter(response),
            },
            400 => new GleitzeitException(GleitzeitErrorCode.InvalidParams, $"{service} rejected the request (HTTP 400{forModel}): it answered {quoted}.", ex),
            408 or 504 => new GleitzeitException(GleitzeitErrorCode.ProviderTimeout, $"{service} timed out (HTTP {result.Status}{forModel}). The task is retried.", ex),
            >= 500 => new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                $"{service} failed with a server error (HTTP {result.Status}{forModel}): it answered {quoted}. The task is retried.", ex),
            _ => new GleitzeitException(GleitzeitErrorCode.ProviderError, $"{service} failed (HTTP {result.Status}{forModel}): it answered {quoted}.", ex),
        };
    }

    private static string? ServerMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String) return message.GetString();
                if (error.ValueKind == JsonValueKind.String) return error.GetString();
            }
        }
        catch (JsonException)
        {
        }
        return body.Length > 300 ? body[..300] + "…" : body;
    }

    private static TimeSpan? RetryAfter(System.ClientModel.Primitives.PipelineResponse? response)
    {
        if (response is null) return null;
        if (response.Headers.TryGetValue("retry-after-ms", out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
        {
            return TimeSpan.FromMilliseconds(millis);
        }
        if (!response.Headers.TryGetValue("Retry-After", out var value) || value is null) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0) return TimeSpan.FromSeconds(seconds);
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }
}
