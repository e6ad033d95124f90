using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

internal enum StopReason
{
    None,
    Cancelled,
    TimedOut,
    Faulted,
    Shutdown,
}

/// <summary>One task inside an active run. Scheduling fields are guarded by the engine's gate.</summary>
internal sealed class TaskState : IThreadPoolWorkItem
{
    public TaskState(ExecutionEngine engine, RunState run, WorkflowTask definition, int index, ProviderRegistration registration, MethodDescriptor method, TaskResult current)
    {
        Engine = engine;
        Run = run;
        Definition = definition;
        Index = index;
        Registration = registration;
        Method = method;
        Current = current;
        HasReferences = Substitution.ReferenceResolver.ContainsReferences(definition.Parameters);
    }

    public ExecutionEngine Engine { get; }

    public RunState Run { get; }

    public WorkflowTask Definition { get; }

    public int Index { get; }

    public ProviderRegistration Registration { get; }

    public MethodDescriptor Method { get; }

    public bool HasReferences { get; }

    /// <summary>Latest state; written under <see cref="RunState.EventGate"/>.</summary>
    public TaskResult Current { get; set; }

    public int[] Dependents { get; set; } = [];

    public int RemainingDependencies { get; set; }

    /// <summary>Already chosen to be queued (by the completion of its last dependency), so no other path queues it.</summary>
    public bool ReadyClaimed { get; set; }

    /// <summary>Reached a final state (completed, failed, skipped, cancelled); set once, under the gate.</summary>
    public bool Finished { get; set; }

    /// <summary>Dispatched and not yet ended its attempt.</summary>
    public bool InFlight { get; set; }

    public int Attempt { get; set; }

    public long Sequence { get; set; }

    void IThreadPoolWorkItem.Execute() => _ = Engine.ExecuteAttemptAsync(this);
}

/// <summary>An active run: the DAG's counters, the tasks, listeners and the completion to signal.</summary>
internal sealed class RunState
{
    private readonly List<Channel<WorkflowEvent>> _watchers = [];

    public RunState(ExecutionEngine engine, string id, Workflow workflow, IReadOnlyDictionary<string, JsonNode?> inputs, Action<WorkflowEvent>? onEvent, DateTimeOffset createdAt)
    {
        Engine = engine;
        Id = id;
        Workflow = workflow;
        Inputs = inputs;
        OnEvent = onEvent;
        CreatedAt = createdAt;
    }

    public ExecutionEngine Engine { get; }

    public string Id { get; }

    public Workflow Workflow { get; }

    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; }

    public Action<WorkflowEvent>? OnEvent { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset StartedAt { get; set; }

    public TaskState[] Tasks { get; set; } = [];

    public Dictionary<string, TaskState> ById { get; } = new(StringComparer.Ordinal);

    /// <summary>The tasks' current states by id, for the reference stage of the task pipeline.</summary>
    public IReadOnlyDictionary<string, TaskResult> Results => _results ??= new RunResults(this);

    private RunResults? _results;

    /// <summary>When the run's own timeout expires, if it has one.</summary>
    public DateTimeOffset? Deadline => Workflow.Timeout is { } timeout ? StartedAt + timeout : null;

    public CancellationTokenSource Cancellation { get; } = new();

    public CancellationTokenSource? TimeoutCancellation { get; set; }

    public TaskCompletionSource<WorkflowRun> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Lock EventGate { get; } = new();

    // Guarded by the engine's gate: tasks not yet marked final.
    public int Unfinished { get; set; }

    /// <summary>Tasks whose final state is not yet stored and applied (Interlocked).</summary>
    public int Outstanding;

    public bool AnyFailed { get; set; }

    public StopReason StopReason { get; set; }

    public GleitzeitError? StopError { get; set; }

    public int InFlight { get; set; }

    public PriorityQueue<TaskState, (int Priority, long Sequence)>? Held { get; set; }

    // Guarded by EventGate.
    public bool Done { get; private set; }

    public WorkflowStatus Status { get; set; } = WorkflowStatus.Pending;

    public GleitzeitError? Error { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    private volatile int _watcherCount;

    public bool HasListeners => OnEvent is not null || _watcherCount > 0;

    /// <summary>Sets a task's state and tells listeners, atomically with respect to <see cref="Subscribe"/>.</summary>
    public void Transition(TaskState task, TaskResult state, WorkflowEvent? evt)
    {
        lock (EventGate)
        {
            task.Current = state;
            if (evt is not null) PublishLocked(evt);
        }
    }

    public void Publish(WorkflowEvent evt)
    {
        lock (EventGate)
        {
            PublishLocked(evt);
        }
    }

    private void PublishLocked(WorkflowEvent evt)
    {
        if (OnEvent is { } callback)
        {
            try
            {
                callback(evt);
            }
            catch (Exception)
            {
                // A listener's failure must not break the run.
            }
        }
        foreach (var w in _watchers) w.Writer.TryWrite(evt);
    }

    /// <summary>Marks the run finished, publishes the last event and closes every watcher.</summary>
    public void Finish(WorkflowStatus status, GleitzeitError? error, DateTimeOffset at, WorkflowEvent evt)
    {
        lock (EventGate)
        {
            Status = status;
            Error = error;
            CompletedAt = at;
            Done = true;
            PublishLocked(evt);
            foreach (var w in _watchers) w.Writer.TryComplete();
            _watchers.Clear();
            _watcherCount = 0;
        }
    }

    /// <summary>Subscribes a watcher; returns the events that describe the state so far.</summary>
    public List<WorkflowEvent> Subscribe(Channel<WorkflowEvent> channel, DateTimeOffset now)
    {
        lock (EventGate)
        {
            var snapshot = ExecutionEngine.DescribeState(Snapshot(), now);
            if (Done) channel.Writer.TryComplete();
            else
            {
                _watchers.Add(channel);
                _watcherCount = _watchers.Count;
            }
            return snapshot;
        }
    }

    public void Unsubscribe(Channel<WorkflowEvent> channel)
    {
        lock (EventGate)
        {
            _watchers.Remove(channel);
            _watcherCount = _watchers.Count;
        }
    }

    public WorkflowRun Snapshot()
    {
        lock (EventGate)
        {
            var tasks = new Dictionary<string, TaskResult>(Tasks.Length, StringComparer.Ordinal);
            foreach (var t in Tasks) tasks[t.Definition.Id] = t.Current;
            return new WorkflowRun
            {
                WorkflowId = Id,
                Name = Workflow.Name,
                Status = Status,
                Tasks = tasks,
                Workflow = Workflow,
                Inputs = Inputs,
                CreatedAt = CreatedAt,
                StartedAt = StartedAt,
                CompletedAt = CompletedAt,
                Error = Error,
            };
        }
    }
}

/// <summary>Ready tasks of one provider, and how many of its tasks run now. Guarded by the engine's gate.</summary>
internal sealed class ProviderLane(ProviderRegistration registration)
{
    public ProviderRegistration Registration { get; } = registration;

    public PriorityQueue<TaskState, (int Priority, long Sequence)> Ready { get; } = new(ReadyOrder.Instance);

    public int Running { get; set; }

    public bool HasCapacity => Registration.MaxConcurrency is not { } max || Running < max;
}

/// <summary>Higher priority first; among equals, first come first served.</summary>
internal sealed class ReadyOrder : IComparer<(int Priority, long Sequence)>
{
    public static readonly ReadyOrder Instance = new();

    public int Compare((int Priority, long Sequence) x, (int Priority, long Sequence) y) =>
        x.Priority != y.Priority ? y.Priority.CompareTo(x.Priority) : x.Sequence.CompareTo(y.Sequence);
}
