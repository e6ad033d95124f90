using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// One attempt of one task as it passes through the <see cref="TaskPipeline"/>: the workflow, the task, the attempt,
/// the parameters (resolved once the reference stage ran), the provider, the cancellation token, the services and a
/// property bag. The engine and the Redis worker create one per attempt.
/// </summary>
public sealed class TaskContext
{
    private static readonly IReadOnlyDictionary<string, JsonNode?> NoInputs = new Dictionary<string, JsonNode?>();
    private static readonly IReadOnlyDictionary<string, TaskResult> NoResults = new Dictionary<string, TaskResult>();
    private Dictionary<string, object?>? _properties;
    private bool? _hasReferences;
    private TimeSpan? _timeout;

    /// <param name="workflow">The run's definition; its <see cref="Workflow.Id"/> is the run id.</param>
    /// <param name="task">The task this attempt runs.</param>
    /// <param name="attempt">1 for the first attempt.</param>
    /// <param name="registration">The provider the registry routed the task to.</param>
    /// <param name="method">The method's descriptor (parameter specs), from the same registry.</param>
    /// <param name="defaults">Engine-wide defaults: the task's timeout and retry policy fall back to them.</param>
    /// <param name="cancellationToken">Fires when the run is cancelled (or the worker stops).</param>
    public TaskContext(Workflow workflow, WorkflowTask task, int attempt, ProviderRegistration registration, MethodDescriptor method, GleitzeitOptions defaults, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(defaults);
        Workflow = workflow;
        Task = task;
        Attempt = attempt;
        Registration = registration;
        Method = method;
        Parameters = task.Parameters;
        Timeout = task.Timeout ?? defaults.DefaultTaskTimeout;
        RetryPolicy = task.Retry ?? defaults.DefaultRetry;
        RunCancellationToken = cancellationToken;
        CancellationToken = cancellationToken;
    }

    /// <summary>The workflow the task belongs to.</summary>
    public Workflow Workflow { get; }

    /// <summary>The run id.</summary>
    public string WorkflowId => Workflow.Id;

    /// <summary>The task being run.</summary>
    public WorkflowTask Task { get; }

    /// <summary>1 for the first attempt.</summary>
    public int Attempt { get; }

    /// <summary>The provider the task was routed to.</summary>
    public ProviderRegistration Registration { get; }

    /// <summary>The provider that serves the task (<see cref="ITaskProvider.GetService"/> reaches its capabilities).</summary>
    public ITaskProvider Provider => Registration.Provider;

    /// <summary>The provider method the task calls, with its parameter specs.</summary>
    public MethodDescriptor Method { get; }

    /// <summary>
    /// The parameters the provider receives: the task's own (with <c>${...}</c> templates) until the reference stage
    /// ran, the resolved ones after it. Treat the object as read-only (it may be the workflow's own); assign a new
    /// one to change what the provider receives.
    /// </summary>
    public JsonObject Parameters { get; set; }

    /// <summary>Whether the reference stage replaced the templates in <see cref="Parameters"/>.</summary>
    public bool ParametersResolved { get; internal set; }

    /// <summary>The run's inputs, read by <c>${inputs.NAME}</c>.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; init; } = NoInputs;

    /// <summary>
    /// Stored states of the tasks this one references (at least those; a task named <c>inputs</c> among them
    /// shadows <c>${inputs.NAME}</c>). Only completed ones have a result to read.
    /// </summary>
    public IReadOnlyDictionary<string, TaskResult> Results { get; init; } = NoResults;

    /// <summary>For a <c>loop</c> task, the iteration this attempt belongs to (1-based, read by <c>${iteration}</c>); 0 otherwise.</summary>
    public int Iteration { get; init; }

    /// <summary>For a <c>loop</c> task, the previous iteration's result (read by <c>${previous.…}</c>); null at the first.</summary>
    public JsonNode? PreviousIteration { get; init; }

    /// <summary>Limit for this attempt, applied by the timeout stage; null or infinite for none.</summary>
    public TimeSpan? Timeout
    {
        get => _timeout;
        set
        {
            if (value is { } t && t <= TimeSpan.Zero && t != System.Threading.Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), t, "A task timeout must be positive (or null, or Timeout.InfiniteTimeSpan, for none).");
            }
            _timeout = value;
        }
    }

    /// <summary>The retry policy <see cref="TaskPipeline.DecideRetry"/> applies after a failed attempt.</summary>
    public RetryPolicy RetryPolicy { get; set; }

    /// <summary>When the run's own timeout expires, if it has one: no retry waits beyond it.</summary>
    public DateTimeOffset? RunDeadline { get; init; }

    /// <summary>
    /// The trace context the attempt's <c>gleitzeit.task</c> activity is a child of, when set: a Redis worker passes the
    /// run's W3C trace context carried in the stream entry. Default (unset): the current activity is the parent.
    /// </summary>
    public ActivityContext TraceParent { get; init; }

    /// <summary>Where progress (streamed tokens, output lines) goes, when anyone listens.</summary>
    public Action<TaskProgressUpdate>? Progress { get; init; }

    /// <summary>Fires on cancellation of the run and, inside the timeout stage, when the attempt's time is up.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>The services of the host (an empty provider when the engine was built by hand).</summary>
    public IServiceProvider Services { get; internal set; } = EmptyServices.Instance;

    /// <summary>State for this attempt only, shared by the stages (keys are compared ordinally).</summary>
    public IDictionary<string, object?> Properties => _properties ??= new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>The token the attempt started with: its firing means cancelled, not timed out.</summary>
    internal CancellationToken RunCancellationToken { get; }

    /// <summary>Whether the task's own parameters contain <c>${...}</c>; the engine knows it from the run's start.</summary>
    internal bool HasReferences
    {
        get => _hasReferences ??= ReferenceResolver.ContainsReferences(Task.Parameters);
        init => _hasReferences = value;
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
