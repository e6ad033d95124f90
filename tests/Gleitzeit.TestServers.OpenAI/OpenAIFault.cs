namespace Gleitzeit.TestServers.OpenAI;

/// <summary>An HTTP error the <see cref="OpenAITestServer"/> answers with: the status, OpenAI's error body, and an optional Retry-After.</summary>
public sealed record OpenAIFault(int Status, string Message, string Type, string? Code = null, TimeSpan? RetryAfter = null)
{
    public static OpenAIFault Unauthorized() => new(401, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key");

    public static OpenAIFault Forbidden() => new(403, "You are not allowed to sample from this model", "invalid_request_error", "model_not_allowed");

    public static OpenAIFault TooManyRequests(TimeSpan? retryAfter = null) => new(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded", retryAfter);

    public static OpenAIFault ServerError() => new(500, "The server had an error while processing your request. Sorry about that!", "server_error");
}
