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
        Current = current;
        HasReferences = hasReferences ?? Substitution.ReferenceResolver.ContainsReferences(definition.Parameters);
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

    void IThreadPoolWorkItem.Execute() => _ = Engine.ExecuteAttemptAsync(this);
}
