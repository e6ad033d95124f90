namespace Gleitzeit.TestServers.Ollama;

/// <summary>How the <see cref="OllamaTestServer"/> misbehaves for a request that a fault rule matches.</summary>
public enum OllamaFaultKind
{
    /// <summary>HTTP 500 with Ollama's error body.</summary>
    ServerError,

    /// <summary>HTTP 429, with a <c>Retry-After</c> header when <see cref="OllamaFault.RetryAfter"/> is set.</summary>
    TooManyRequests,

    /// <summary>HTTP 503 (Ollama's answer when its queue is full), with <c>Retry-After</c> when set.</summary>
    ServiceUnavailable,

    /// <summary>HTTP 401 with an error body, as a proxy that wants credentials answers.</summary>
    Unauthorized,

    /// <summary>Accepts the request and never answers (until the client gives up or the server stops).</summary>
    Hang,

    /// <summary>HTTP 200 whose body is not valid JSON (for a stream: a broken line after the first chunks).</summary>
    MalformedJson,

    /// <summary>Streams <see cref="OllamaFault.AfterChunks"/> chunks, then drops the connection without the final chunk.</summary>
    DropMidStream,

    /// <summary>Streams <see cref="OllamaFault.AfterChunks"/> chunks, then ends the response cleanly but without the final <c>"done": true</c> chunk (as a misbehaving proxy might).</summary>
    TruncatedStream,
}

/// <summary>A fault to inject; build one with the static methods.</summary>
public sealed record OllamaFault(OllamaFaultKind Kind, TimeSpan? RetryAfter = null, int AfterChunks = 2, string? Message = null)
{
    public static OllamaFault ServerError(string message = "llama runner process has terminated: exit status 2") => new(OllamaFaultKind.ServerError, Message: message);

    public static OllamaFault TooManyRequests(TimeSpan? retryAfter = null) => new(OllamaFaultKind.TooManyRequests, retryAfter);

    public static OllamaFault ServiceUnavailable(TimeSpan? retryAfter = null) => new(OllamaFaultKind.ServiceUnavailable, retryAfter);

    public static OllamaFault Unauthorized(string message = "unauthorized") => new(OllamaFaultKind.Unauthorized, Message: message);

    public static OllamaFault Hang() => new(OllamaFaultKind.Hang);

    public static OllamaFault MalformedJson() => new(OllamaFaultKind.MalformedJson);

    public static OllamaFault DropMidStream(int afterChunks = 2) => new(OllamaFaultKind.DropMidStream, AfterChunks: afterChunks);

    public static OllamaFault TruncatedStream(int afterChunks = 2) => new(OllamaFaultKind.TruncatedStream, AfterChunks: afterChunks);
}
