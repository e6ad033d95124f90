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

    // Task
    TaskValidationFailed = -29001,
    TaskExecutionFailed = -29002,
    TaskTimeout = -29003,
    TaskCancelled = -29004,
    TaskDependencyFailed = -29005,
    TaskNotFound = -29006,
    TaskAlreadyExists = -29007,
    TaskRetriesExhausted = -29008,
    TaskForeachNotList = -29014,
    TaskItemFailed = -29015,
    TaskSubworkflowFailed = -29016,

    // Workflow
    WorkflowValidationFailed = -28001,
    WorkflowNotFound = -28002,
    WorkflowExecutionFailed = -28003,
    WorkflowTimeout = -28004,
    WorkflowCancelled = -28005,
    WorkflowCircularDependency = -28006,
    WorkflowAlreadyExists = -28007,
    WorkflowLeased = -28008,
    WorkflowOutputFailed = -28012,
    WorkflowSubworkflowCycle = -28013,

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
