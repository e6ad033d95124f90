using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>
/// Error codes, numbered in the ranges of the original Gleitzeit: JSON-RPC standard (-32700, -32600..-32603),
/// system (-31xxx), provider (-30xxx), task (-29xxx), workflow (-28xxx), queue (-27xxx), persistence (-26xxx),
/// network (-25xxx). <see cref="GleitzeitErrorCodes.IsRetryable"/> says whether a code is worth retrying.
/// </summary>
public enum GleitzeitErrorCode
{
    // JSON-RPC 2.0
    ParseError = -32700,
    InvalidRequest = -32600,
    MethodNotFound = -32601,
    InvalidParams = -32602,
    InternalError = -32603,

    // System
    SystemError = -31000,
    SystemShutdown = -31001,
    SystemOverloaded = -31002,
    ConfigurationError = -31003,
    ResourceExhausted = -31004,

    // Provider
    ProviderError = -30000,
    ProviderInitializationFailed = -30001,
    ProviderNotFound = -30002,
    ProviderNotAvailable = -30003,
    ProviderUnhealthy = -30004,
    ProviderOverloaded = -30005,
    ProviderTimeout = -30006,
    ProviderRateLimited = -30007,
    ProviderAuthenticationFailed = -30008,
    ProviderInvalidResponse = -30009,
    ModelNotFound = -30010,

    // Task
    TaskValidationFailed = -29001,
    TaskExecutionFailed = -29002,
    TaskTimeout = -29003,
    TaskCancelled = -29004,
    TaskDependencyFailed = -29005,
    TaskNotFound = -29006,
    TaskAlreadyExists = -29007,
    TaskRetriesExhausted = -29008,

    // Workflow
    WorkflowValidationFailed = -28001,
    WorkflowNotFound = -28002,
    WorkflowExecutionFailed = -28003,
    WorkflowTimeout = -28004,
    WorkflowCancelled = -28005,
    WorkflowCircularDependency = -28006,
    WorkflowAlreadyExists = -28007,

    // Queue
    QueueFull = -27001,
    QueueNotFound = -27002,
    QueueOperationFailed = -27003,

    // Persistence
    PersistenceError = -26000,
    PersistenceConnectionFailed = -26001,
    PersistenceWriteFailed = -26002,
    PersistenceReadFailed = -26003,
    PersistenceCorrupted = -26004,
    PersistenceSchemaTooNew = -26005,

    // Network
    NetworkError = -25000,
    NetworkConnectionFailed = -25001,
    NetworkTimeout = -25002,
    NetworkConnectionLost = -25003,
}

/// <summary>Facts about error codes: wire names (<c>TASK_TIMEOUT</c>) and whether a retry can help.</summary>
public static class GleitzeitErrorCodes
{
    private static readonly FrozenSet<GleitzeitErrorCode> Retryable = new[]
    {
        GleitzeitErrorCode.SystemOverloaded,
        GleitzeitErrorCode.ResourceExhausted,
        GleitzeitErrorCode.ProviderNotAvailable,
        GleitzeitErrorCode.ProviderUnhealthy,
        GleitzeitErrorCode.ProviderOverloaded,
        GleitzeitErrorCode.ProviderTimeout,
        GleitzeitErrorCode.ProviderRateLimited,
        GleitzeitErrorCode.TaskTimeout,
        GleitzeitErrorCode.QueueFull,
        GleitzeitErrorCode.PersistenceConnectionFailed,
        GleitzeitErrorCode.NetworkError,
        GleitzeitErrorCode.NetworkConnectionFailed,
        GleitzeitErrorCode.NetworkTimeout,
        GleitzeitErrorCode.NetworkConnectionLost,
    }.ToFrozenSet();

    private static readonly FrozenDictionary<GleitzeitErrorCode, string> Names =
        Enum.GetValues<GleitzeitErrorCode>().ToFrozenDictionary(c => c, ToWireName);

    /// <summary>True for transient failures (timeouts, overload, rate limits, lost connections).</summary>
    public static bool IsRetryable(this GleitzeitErrorCode code) => Retryable.Contains(code);

    /// <summary>The original's upper snake case name, e.g. <c>TASK_DEPENDENCY_FAILED</c>.</summary>
    public static string Name(this GleitzeitErrorCode code) =>
        Names.TryGetValue(code, out var name) ? name : ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string ToWireName(GleitzeitErrorCode code)
    {
        var name = code.ToString();
        if (code == GleitzeitErrorCode.WorkflowCircularDependency) return "CIRCULAR_DEPENDENCY";
        var sb = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(name[i]));
        }
        return sb.ToString();
    }
}

/// <summary>An error as stored and reported: a code, a message for people, and optional structured data.</summary>
public sealed record GleitzeitError(GleitzeitErrorCode Code, string Message, JsonNode? Data = null)
{
    public bool IsRetryable => Code.IsRetryable();

    public string CodeName => Code.Name();

    public override string ToString() => $"{CodeName} ({(int)Code}): {Message}";

    /// <summary>The JSON-RPC error object <c>{"code","message","data"}</c>.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["code"] = (int)Code, ["message"] = Message };
        if (Data is not null) obj["data"] = Data.DeepClone();
        return obj;
    }
}

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
