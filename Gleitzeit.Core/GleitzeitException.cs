using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>An exception carrying a <see cref="GleitzeitErrorCode"/>. Providers throw it to report a classified failure.</summary>
public class GleitzeitException : Exception
{
    public GleitzeitException(GleitzeitErrorCode code, string message, Exception? innerException = null, JsonNode? data = null)
        : base(message, innerException)
    {
        Code = code;
        ErrorData = data;
    }

    public GleitzeitErrorCode Code { get; }

    /// <summary>Structured details (what was expected, what exists, ...).</summary>
    public JsonNode? ErrorData { get; }

    /// <summary>How long the provider asked callers to wait before trying again (HTTP Retry-After), when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public bool IsRetryable => Code.IsRetryable();

    public GleitzeitError ToError() => new(Code, Message, ErrorData);
}
