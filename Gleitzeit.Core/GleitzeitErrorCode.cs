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
    /// <summary>A JSON-RPC message is not valid JSON.</summary>
    ParseError = -32700,
    /// <summary>A JSON-RPC message is JSON but not a valid request object.</summary>
    InvalidRequest = -32600,
    /// <summary>The provider does not offer the method a task calls.</summary>
    MethodNotFound = -32601,
    /// <summary>A task's parameters do not match its method's parameter specs (missing, unknown or of the wrong type).</summary>
    InvalidParams = -32602,
    /// <summary>An unexpected failure inside Gleitzeit or a provider; a bug, not bad input.</summary>
    InternalError = -32603,

    // System
    /// <summary>A failure of the host system not covered by a more specific code.</summary>
    SystemError = -31000,
    /// <summary>The engine is shutting down and accepts or continues no work.</summary>
    SystemShutdown = -31001,
    /// <summary>The engine has more work than it accepts right now (retryable).</summary>
    SystemOverloaded = -31002,
    /// <summary>Gleitzeit or a provider is configured wrongly (an option out of range, a missing setting).</summary>
    ConfigurationError = -31003,
    /// <summary>A resource the work needs (memory, disk, handles) ran out (retryable).</summary>
    ResourceExhausted = -31004,

    // Provider
    /// <summary>A provider failed in a way not covered by a more specific code.</summary>
    ProviderError = -30000,
    /// <summary>A provider could not start (its process, client or connection could not be set up).</summary>
    ProviderInitializationFailed = -30001,
    /// <summary>No registered provider serves the task's protocol or <c>provider</c> id.</summary>
    ProviderNotFound = -30002,
    /// <summary>The provider's back end cannot be reached right now (a server down, a process not starting); retryable.</summary>
    ProviderNotAvailable = -30003,
    /// <summary>The provider's health check reports it unhealthy (retryable).</summary>
    ProviderUnhealthy = -30004,
    /// <summary>The provider rejected the call because it is busy (retryable).</summary>
    ProviderOverloaded = -30005,
    /// <summary>The provider did not answer in time (retryable).</summary>
    ProviderTimeout = -30006,
    /// <summary>The provider's back end rate-limited the call (retryable after its delay).</summary>
    ProviderRateLimited = -30007,
    /// <summary>The provider's back end rejected the credentials (an API key missing or wrong).</summary>
    ProviderAuthenticationFailed = -30008,
    /// <summary>The provider's back end answered with something that cannot be understood.</summary>
    ProviderInvalidResponse = -30009,
    /// <summary>The model a task names is not available at the provider.</summary>
    ModelNotFound = -30010,

    /// <summary>The model's answer is not the JSON its task's <c>response_format</c> asks for (retryable: a new answer may be).</summary>
    LlmOutputInvalid = -30011,

    /// <summary>The model asked for more tool calls than the task's <c>max_tool_calls</c> allows.</summary>
    LlmToolCallsExceeded = -30012,

    // Task
    /// <summary>A task definition is invalid (checked before the run starts).</summary>
    TaskValidationFailed = -29001,
    /// <summary>A task's code or call failed (a Python exception, a tool error).</summary>
    TaskExecutionFailed = -29002,
    /// <summary>A task attempt ran longer than its <c>timeout</c> (retryable).</summary>
    TaskTimeout = -29003,
    /// <summary>A task was cancelled, with its run or by the caller.</summary>
    TaskCancelled = -29004,
    /// <summary>A task did not run because a task it depends on failed.</summary>
    TaskDependencyFailed = -29005,
    /// <summary>No task with the given id exists in the run.</summary>
    TaskNotFound = -29006,
    /// <summary>Two tasks of a workflow have the same id.</summary>
    TaskAlreadyExists = -29007,
    /// <summary>A task failed on every attempt its retry policy allows.</summary>
    TaskRetriesExhausted = -29008,
    /// <summary>A <c>foreach</c> task's <c>items</c> did not resolve to a list.</summary>
    TaskForeachNotList = -29014,
    /// <summary>One item of a <c>foreach</c> task failed, so the task failed.</summary>
    TaskItemFailed = -29015,
    /// <summary>A sub-workflow a task runs failed, so the task failed.</summary>
    TaskSubworkflowFailed = -29016,

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
    /// <summary>A workflow definition is invalid; the error lists each problem with its location.</summary>
    WorkflowValidationFailed = -28001,
    /// <summary>No run (or workflow file) with the given id or name exists.</summary>
    WorkflowNotFound = -28002,
    /// <summary>A run failed (a task failed and the run stopped).</summary>
    WorkflowExecutionFailed = -28003,
    /// <summary>A run took longer than its workflow's timeout.</summary>
    WorkflowTimeout = -28004,
    /// <summary>A run was cancelled.</summary>
    WorkflowCancelled = -28005,
    /// <summary>The tasks' dependencies form a cycle, so no order can run them.</summary>
    WorkflowCircularDependency = -28006,
    /// <summary>A run with the given id already exists in the store.</summary>
    WorkflowAlreadyExists = -28007,
    /// <summary>Another process holds the run's lease (it is running it); only that process continues it.</summary>
    WorkflowLeased = -28008,
    /// <summary>A run used more than its cost or token budget allows.</summary>
    BudgetExceeded = -28010,
    /// <summary>The run is not finished (running or interrupted), so an operation that needs a finished run, such as retrying it, is refused.</summary>
    WorkflowStillRunning = -28016,
    /// <summary>A workflow's <c>outputs</c> could not be resolved from its tasks' results.</summary>
    WorkflowOutputFailed = -28012,
    /// <summary>Sub-workflows call each other in a cycle.</summary>
    WorkflowSubworkflowCycle = -28013,

    // Queue
    /// <summary>The work queue is full (retryable).</summary>
    QueueFull = -27001,
    /// <summary>The named work queue does not exist.</summary>
    QueueNotFound = -27002,
    /// <summary>An operation on the work queue failed.</summary>
    QueueOperationFailed = -27003,

    // Persistence
    /// <summary>The store failed in a way not covered by a more specific code.</summary>
    PersistenceError = -26000,
    /// <summary>The store (database, Redis) cannot be reached (retryable).</summary>
    PersistenceConnectionFailed = -26001,
    /// <summary>Writing to the store failed.</summary>
    PersistenceWriteFailed = -26002,
    /// <summary>Reading from the store failed.</summary>
    PersistenceReadFailed = -26003,
    /// <summary>Data read from the store is not valid (damaged or written by something else).</summary>
    PersistenceCorrupted = -26004,
    /// <summary>The database was written by a newer Gleitzeit whose schema this version does not know.</summary>
    PersistenceSchemaTooNew = -26005,

    // Network
    /// <summary>A network failure not covered by a more specific code (retryable).</summary>
    NetworkError = -25000,
    /// <summary>A connection could not be opened (retryable).</summary>
    NetworkConnectionFailed = -25001,
    /// <summary>A network operation timed out (retryable).</summary>
    NetworkTimeout = -25002,
    /// <summary>An open connection was lost (retryable).</summary>
    NetworkConnectionLost = -25003,
}
