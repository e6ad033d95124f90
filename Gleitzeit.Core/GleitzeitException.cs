using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>An exception carrying a <see cref="GleitzeitErrorCode"/>. Providers throw it to report a classified failure.</summary>
public class GleitzeitException : Exception
{
    /// <summary>Creates the exception with its <paramref name="code"/>, a user-facing <paramref name="message"/> and optional structured <paramref name="data"/>.</summary>
    public GleitzeitException(GleitzeitErrorCode code, string message, Exception? innerException = null, JsonNode? data = null)
        : base(message, innerException)
    {
        Code = code;
        ErrorData = data;
    }

    /// <summary>The error code classifying the failure.</summary>
    public GleitzeitErrorCode Code { get; }

    /// <summary>Structured details (what was expected, what exists, ...).</summary>
    public JsonNode? ErrorData { get; }

    /// <summary>How long the provider asked callers to wait before trying again (HTTP Retry-After), when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Whether retrying the failed operation may succeed (see <see cref="GleitzeitErrorCodes.IsRetryable"/>).</summary>
    public bool IsRetryable => Code.IsRetryable();

    /// <summary>The exception as a serializable <see cref="GleitzeitError"/> (code, message, data).</summary>
    public GleitzeitError ToError() => new(Code, Message, ErrorData);
}
