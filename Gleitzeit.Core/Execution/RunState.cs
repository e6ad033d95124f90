using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Gleitzeit.Core.Execution;

/// <summary>An active run: the DAG's counters, the tasks, listeners and the completion to signal.</summary>
internal sealed class RunState
{
    /// <summary>Watchers with the task states their snapshot described (guarded by <see cref="EventGate"/>).</summary>
    private readonly List<(Channel<WorkflowEvent> Channel, Dictionary<string, TaskResult> Seen)> _watchers = [];

    public RunState(ExecutionEngine engine, string id, Workflow workflow, IReadOnlyDictionary<string, JsonNode?> inputs, Action<WorkflowEvent>? onEvent, DateTimeOffset createdAt)
    {
        Engine = engine;
        Id = id;
        Workflow = workflow;
        Inputs = inputs;
        OnEvent = onEvent;
        CreatedAt = createdAt;
        // Sized for the definition's tasks: a run of 100,000 grew it seventeen times, rehashing every entry each time.
        ById = new Dictionary<string, TaskState>(workflow.Tasks.Count, StringComparer.Ordinal);
    }

    public ExecutionEngine Engine { get; }

    public string Id { get; }

    public Workflow Workflow { get; }

    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; }

    public Action<WorkflowEvent>? OnEvent { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>The run that started this one through <c>workflow/run</c>, if any.</summary>
    public string? ParentId { get; init; }

    public DateTimeOffset StartedAt { get; set; }

    /// <summary>The run's <c>gleitzeit.workflow</c> activity in this process, when anyone listens; stopped when the run ends here.</summary>
    public Activity? Activity { get; set; }

    /// <summary>
    /// The caller's execution context as the run started, with <see cref="Activity"/> current: task work runs in it, so the
    /// caller's logging scopes and activity (and any other async-local state) reach providers and middleware.
    /// </summary>
    public ExecutionContext? Context { get; set; }

    public TaskState[] Tasks { get; set; } = [];

    public Dictionary<string, TaskState> ById { get; }

    /// <summary>Every task: the workflow's, each foreach task followed by its items (read under the engine's gate or the EventGate).</summary>
    public IEnumerable<TaskState> AllTasks()
    {
        foreach (var t in Tasks)
        {
            yield return t;
            if (t.Items is { } items)
            {
                foreach (var item in items) yield return item;
            }
        }
    }

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

    /// <summary>Set when the run starts finishing: the lease heartbeat leaves it alone from then on (its lease is being released).</summary>
    public volatile bool Ending;

    public GleitzeitError? StopError { get; set; }

    public int InFlight { get; set; }

    /// <summary>Tasks waiting for a person (guarded by the engine's gate).</summary>
    public int WaitingCount { get; set; }

    /// <summary>Serializes writes of the run's running/waiting status, so the last one written is the latest truth.</summary>
    public SemaphoreSlim StatusGate { get; } = new(1, 1);

    /// <summary>The status last written to the store by this process (running or waiting), under <see cref="StatusGate"/>.</summary>
    public WorkflowStatus StoredStatus { get; set; } = WorkflowStatus.Running;

    /// <summary>Sets the run's status as listeners see it, and publishes <paramref name="evt"/> with it.</summary>
    public void SetStatus(WorkflowStatus status, WorkflowEvent? evt)
    {
        lock (EventGate)
        {
            if (Done) return;
            Status = status;
            if (evt is not null) PublishLocked(evt);
        }
    }

    public PriorityQueue<TaskState, (int Priority, long Sequence)>? Held { get; set; }

    // Guarded by EventGate.
    public bool Done { get; private set; }

    public WorkflowStatus Status { get; set; } = WorkflowStatus.Pending;

    public GleitzeitError? Error { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    private int _watcherCount;

    public bool HasListeners => OnEvent is not null || Volatile.Read(ref _watcherCount) > 0;

    /// <summary>Sets a task's state and tells listeners, atomically with respect to <see cref="Subscribe"/>.</summary>
    public void Transition(TaskState task, TaskResult state, WorkflowEvent? evt)
    {
        if (evt is null)
        {
            // Nothing to publish (the caller saw no listener): the gate is left alone, because taking it made every
            // completion of a wide run queue up behind the others. A watcher may subscribe at this very moment, though:
            // the state is written, then the watcher count read, while Subscribe counts its watcher, then reads the
            // states (both with a full fence between), so either its snapshot holds this state or this sees the watcher
            // and tells it below. Without this a watcher could miss a task's completion for good.
            task.Current = state;
            Interlocked.MemoryBarrier();
            if (_watcherCount > 0) CatchUpWatchers(task, state);
            return;
        }
        lock (EventGate)
        {
            task.Current = state;
            PublishLocked(evt);
        }
    }

    /// <summary>Tells every watcher whose snapshot predates <paramref name="state"/> (written without an event) about it.</summary>
    private void CatchUpWatchers(TaskState task, TaskResult state)
    {
        lock (EventGate)
        {
            // A later transition of the task has told watchers already, or will; this one is history by now.
            if (!ReferenceEquals(task.Current, state)) return;
            WorkflowEvent? evt = null;
            foreach (var (channel, seen) in _watchers)
            {
                if (seen.TryGetValue(task.Definition.Id, out var known) && ReferenceEquals(known, state)) continue;
                evt ??= ExecutionEngine.DescribeTask(Id, state, Engine.Now);
                if (evt is null) return;
                seen[task.Definition.Id] = state;
                channel.Writer.TryWrite(evt);
            }
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
            catch (Exception ex)
            {
                // A listener's failure must not break the run, and must not go unnoticed either.
                Engine.LogEventHandlerFailed(Id, evt.GetType().Name, ex);
            }
        }
        foreach (var w in _watchers) w.Channel.Writer.TryWrite(evt);
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
            foreach (var w in _watchers) w.Channel.Writer.TryComplete();
            _watchers.Clear();
            _watcherCount = 0;
        }
    }

    /// <summary>Subscribes a watcher; returns the events that describe the state so far.</summary>
    public List<WorkflowEvent> Subscribe(Channel<WorkflowEvent> channel, DateTimeOffset now)
    {
        lock (EventGate)
        {
            if (Done)
            {
                channel.Writer.TryComplete();
                return ExecutionEngine.DescribeState(Snapshot(), now);
            }
            // Counted before the states are read, with a full fence (see Transition).
            Interlocked.Exchange(ref _watcherCount, _watchers.Count + 1);
            var snapshot = Snapshot(out var seen);
            _watchers.Add((channel, seen));
            return ExecutionEngine.DescribeState(snapshot, now);
        }
    }

    public void Unsubscribe(Channel<WorkflowEvent> channel)
    {
        lock (EventGate)
        {
            _watchers.RemoveAll(w => w.Channel == channel);
            _watcherCount = _watchers.Count;
        }
    }

    public WorkflowRun Snapshot() => Snapshot(out _);

    /// <summary>The run as it stands; <paramref name="tasks"/> is the snapshot's own table of task states, by id.</summary>
    private WorkflowRun Snapshot(out Dictionary<string, TaskResult> tasks)
    {
        lock (EventGate)
        {
            tasks = new Dictionary<string, TaskResult>(Tasks.Length, StringComparer.Ordinal);
            foreach (var t in AllTasks()) tasks[t.Definition.Id] = t.Current;
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
                ParentId = ParentId,
            };
        }
    }
}
