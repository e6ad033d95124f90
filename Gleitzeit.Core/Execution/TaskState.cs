using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>One task inside an active run. Scheduling fields are guarded by the engine's gate.</summary>
internal sealed class TaskState : IThreadPoolWorkItem
{
    public TaskState(ExecutionEngine engine, RunState run, WorkflowTask definition, int index, ProviderRegistration registration, MethodDescriptor method, TaskResult current, bool? hasReferences = null)
    {
        Engine = engine;
        Run = run;
        Definition = definition;
        Index = index;
        Registration = registration;
        Method = method;
        _current = current;
        HasReferences = hasReferences ?? Substitution.ReferenceResolver.ContainsReferences(definition.Parameters);
        IsHuman = registration.Provider.GetService(typeof(Human.HumanProvider)) is not null;
    }

    /// <summary>A <c>human/v1</c> task: its attempt produces a request, and the task then waits for an answer.</summary>
    public bool IsHuman { get; }

    /// <summary>Waiting for a person (under the gate): holds no slot; <see cref="Wait"/> says for what.</summary>
    public bool Waiting { get; set; }

    /// <summary>What the waiting task asks, and when its timeout decides.</summary>
    public Human.WaitingTask? Wait { get; set; }

    /// <summary>The one timer of a waiting task: its timeout.</summary>
    public ITimer? WaitTimer { get; set; }

    public ExecutionEngine Engine { get; }

    public RunState Run { get; }

    public WorkflowTask Definition { get; }

    public int Index { get; }

    public ProviderRegistration Registration { get; }

    public MethodDescriptor Method { get; }

    public bool HasReferences { get; }

    /// <summary>Latest state; written under <see cref="RunState.EventGate"/> when an event goes with it (volatile: read without it).</summary>
    public TaskResult Current
    {
        get => Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, value);
    }

    private TaskResult _current;

    public int[] Dependents { get; set; } = [];

    /// <summary>Dependencies not yet final (completed, failed or skipped).</summary>
    public int RemainingDependencies { get; set; }

    /// <summary>Dependencies that completed (what <see cref="JoinMode.Any"/> needs one of).</summary>
    public int CompletedDependencies { get; set; }

    /// <summary>Runs straight away once ready: no <c>when</c> to evaluate first.</summary>
    public bool Unconditional => Definition.When is null;

    /// <summary>Already chosen to be queued (by the completion of its last dependency), so no other path queues it.</summary>
    public bool ReadyClaimed { get; set; }

    /// <summary>Reached a final state (completed, failed, skipped, cancelled); set once, under the gate.</summary>
    public bool Finished { get; set; }

    /// <summary>Dispatched and not yet ended its attempt.</summary>
    public bool InFlight { get; set; }

    public int Attempt { get; set; }

    /// <summary>
    /// The running state of its next attempt when that was already stored, in the same write as the completion that
    /// made this task ready (<see cref="ExecutionEngine"/>'s direct start): the attempt then does not store it again.
    /// </summary>
    public TaskResult? StartStored { get; set; }

    /// <summary>The back end of its provider this task runs on (<see cref="ITaskLanes"/>), when the provider names one.</summary>
    public string? LaneName { get; init; }

    public int? LaneBound { get; init; }

    /// <summary>The lane it was dispatched from, while in flight.</summary>
    public ProviderLane? Lane { get; set; }

    public long Sequence { get; set; }

    // ---- a foreach task (guarded by the engine's gate; Items is also read under the run's EventGate)

    /// <summary>The items this foreach task expanded into, once the expansion is stored; null before (and for other tasks).</summary>
    public TaskState[]? Items { get; set; }

    /// <summary>Items not yet completed.</summary>
    public int ItemsRemaining { get; set; }

    /// <summary>Items holding one of this foreach task's <see cref="WorkflowTask.MaxConcurrency"/> slots (queued or running).</summary>
    public int ItemsInFlight { get; set; }

    /// <summary>Items waiting for a slot of this foreach task, in order.</summary>
    public Queue<TaskState>? ItemsHeld { get; set; }

    /// <summary>Its completion or failure has been claimed (by the last item, or the first failing one).</summary>
    public bool Concluding { get; set; }

    // ---- an item of a foreach task

    /// <summary>The foreach task this is an item of; null for a task of the workflow.</summary>
    public TaskState? Parent { get; init; }

    /// <summary>This item's element of the list (<c>${item}</c>).</summary>
    public JsonNode? ItemValue { get; init; }

    /// <summary>This item's position in the list (<c>${index}</c>).</summary>
    public int ItemIndex { get; init; }

    // Queued without the dispatching thread's context (that may be another run's task); the run's own context flows instead.
    void IThreadPoolWorkItem.Execute()
    {
        t_draining = true;
        try
        {
            var task = this;
            var since = Environment.TickCount64;
            while (true)
            {
                task.RunAttempt();
                task = t_handedOff;
                t_handedOff = null;
                if (task is null) return;
                if (Environment.TickCount64 - since >= HandOffMilliseconds)
                {
                    // Long enough on this thread: the next task goes through the thread pool like any other, so work
                    // queued meanwhile (another run's) gets its turn.
                    ThreadPool.UnsafeQueueUserWorkItem(task, preferLocal: false);
                    return;
                }
            }
        }
        finally
        {
            t_draining = false;
            // Never lose a task kept for this thread (an attempt's start does not throw; this is the guard if it ever did).
            if (t_handedOff is { } kept)
            {
                t_handedOff = null;
                ThreadPool.UnsafeQueueUserWorkItem(kept, preferLocal: false);
            }
        }
    }

    /// <summary>
    /// Keeps a task the engine just dispatched for this thread to run next, when this thread is running a task attempt
    /// of the thread pool's (<see cref="IThreadPoolWorkItem.Execute"/>) and keeps none yet: what a completion makes ready
    /// then starts as soon as the completing attempt returns, on the thread whose caches hold the run, instead of waking
    /// another thread (a chain's every step did). Returns false when the caller must queue it.
    /// </summary>
    public static bool TryHandOff(TaskState task)
    {
        if (!t_draining || t_handedOff is not null) return false;
        t_handedOff = task;
        return true;
    }

    /// <summary>How long one thread runs handed-off attempts one after the other before it queues the next (by the coarse
    /// millisecond tick, so 2 ms give 1–5 ms).</summary>
    private const int HandOffMilliseconds = 2;

    [ThreadStatic]
    private static bool t_draining;

    [ThreadStatic]
    private static TaskState? t_handedOff;

    private void RunAttempt()
    {
        if (Run.Context is { } context) ExecutionContext.Run(context, static s => Start((TaskState)s!), this);
        else Start(this);
    }

    private static void Start(TaskState task) => _ = task.Engine.ExecuteAttemptAsync(task);
}
