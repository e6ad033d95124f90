using System.Collections.Frozen;

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

    /// <summary>The model's answer is not the JSON its task's <c>response_format</c> asks for (retryable: a new answer may be).</summary>
    LlmOutputInvalid = -30011,

    /// <summary>The model asked for more tool calls than the task's <c>max_tool_calls</c> allows.</summary>
    LlmToolCallsExceeded = -30012,

    // Task
    TaskValidationFailed = -29001,
    TaskExecutionFailed = -29002,
    TaskTimeout = -29003,
    TaskCancelled = -29004,
    TaskDependencyFailed = -29005,
    TaskNotFound = -29006,
    TaskAlreadyExists = -29007,
    TaskRetriesExhausted = -29008,

    /// <summary>The task's <c>when</c> condition was false (or a dependency was skipped so): it was skipped; the run does not fail for it.</summary>
    TaskConditionFalse = -29009,

    /// <summary>A <c>loop</c> task ran <c>max_iterations</c> times and its <c>until</c> condition never held.</summary>
    TaskLoopExhausted = -29010,

    /// <summary>A <c>when</c> or <c>until</c> condition could not be evaluated: incomparable types, a missing field.</summary>
    TaskConditionError = -29011,
    /// <summary>An answer to a <c>human/input</c> task does not match its schema; the task keeps waiting.</summary>
    HumanInputInvalid = -29018,

    /// <summary>An answer was given to a task that is not waiting for one (not started yet, running, finished).</summary>
    TaskNotWaiting = -29019,

    /// <summary>Nobody answered a waiting task within its <c>timeout</c>, and its <c>on_timeout</c> is <c>fail</c>.</summary>
    HumanTimeout = -29020,

    /// <summary>A waiting task was answered (or decided by its timeout) before this answer could be recorded: the first answer wins.</summary>
    TaskAlreadyAnswered = -29021,

    // Workflow
    WorkflowValidationFailed = -28001,
    WorkflowNotFound = -28002,
    WorkflowExecutionFailed = -28003,
    WorkflowTimeout = -28004,
    WorkflowCancelled = -28005,
    WorkflowCircularDependency = -28006,
    WorkflowAlreadyExists = -28007,
    WorkflowLeased = -28008,

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
