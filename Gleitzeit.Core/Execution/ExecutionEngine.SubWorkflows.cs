using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

// Sub-workflows: a workflow/run task starts (or, after a crash, continues) a child run of its own, with the
// deterministic id PARENT.TASK (PARENT.TASK#N for a loop task's iteration N >= 2), linked by ParentId; the task waits for it and answers its status and outputs. A parent
// cancelled (or a task timed out) cancels its child; a parent interrupted leaves the child interrupted too, and the
// parent's resumed task continues it.
public sealed partial class ExecutionEngine
{
    private readonly ConcurrentDictionary<string, Workflow> _namedWorkflows = new(StringComparer.Ordinal);

    /// <summary>
    /// Registers <paramref name="workflow"/> under <paramref name="name"/>, so that a <c>workflow/run</c> task can run it by
    /// name (<c>params: { workflow: NAME }</c>) instead of by file. A name registered again replaces the earlier workflow.
    /// The workflow is validated against this engine's providers (throws <see cref="WorkflowValidationException"/>).
    /// </summary>
    public ExecutionEngine RegisterWorkflow(string name, Workflow workflow)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(workflow);
        if (SubWorkflows.LooksLikeFile(name))
        {
            throw new ArgumentException($"'{name}' reads as a file path (it has a '/' or ends in .yaml/.yml): register the workflow under a plain name.", nameof(name));
        }
        _namedWorkflows[name] = workflow;
        try
        {
            WorkflowValidator.EnsureValid(workflow, _registry, name);
        }
        catch
        {
            _namedWorkflows.TryRemove(name, out _);
            throw;
        }
        return this;
    }

    /// <summary>The workflows registered with <see cref="RegisterWorkflow"/>, by name.</summary>
    internal IReadOnlyDictionary<string, Workflow> RegisteredWorkflows => _namedWorkflows;

    /// <summary>
    /// The id of the child run a workflow/run task starts: <c>PARENT.TASK</c> (the same after a resume); a <c>loop</c>
    /// task's iteration N (from 2 on) starts a child of its own, <c>PARENT.TASK#N</c>.
    /// </summary>
    internal static string ChildRunId(string parentId, string taskId, int iteration = 1) =>
        iteration <= 1 ? parentId + "." + taskId : parentId + "." + taskId + "#" + iteration.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal async Task<JsonNode?> RunChildAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        if (!_active.TryGetValue(invocation.WorkflowId, out var parent))
        {
            throw new GleitzeitException(GleitzeitErrorCode.TaskExecutionFailed, $"workflow/run runs inside a run of the engine that registered it; run '{invocation.WorkflowId}' is not active there.");
        }
        var spec = invocation.Parameters["workflow"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
        var child = ResolveChildWorkflow(parent.Workflow, spec);
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (invocation.Parameters["inputs"] is JsonObject given)
        {
            foreach (var (k, value) in given) inputs[k] = value?.DeepClone();
        }
        var childId = ChildRunId(parent.Id, invocation.TaskId, invocation.Iteration);
        WorkflowRun finished;
        try
        {
            finished = await RunOrContinueChildAsync(child, childId, inputs, parent.Id, cancellationToken).ConfigureAwait(false);
            if (finished.Status == WorkflowStatus.Interrupted && _disposed)
            {
                // The engine is stopping and reached the child first: this task is interrupted with its run (its token fires),
                // and the resumed parent continues the child.
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The parent was cancelled, timed out or failed, or this attempt timed out: the child goes with it. A parent that
            // is only interrupted (the engine stops) leaves its child interrupted as well, to be continued with it.
            if (parent.StopReason is not (StopReason.Shutdown or StopReason.LeaseLost) && !_disposed)
            {
                await CancelAsync(childId, CancellationToken.None).ConfigureAwait(false);
            }
            throw;
        }
        catch (WorkflowValidationException ex)
        {
            throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"sub-workflow '{spec}' cannot start: {ex.Message}", ex);
        }
        var result = new JsonObject
        {
            ["workflow_id"] = finished.WorkflowId,
            ["status"] = Persistence.StoreJson.StatusName(finished.Status),
            ["outputs"] = new JsonObject(finished.Outputs.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))),
        };
        if (finished.Status != WorkflowStatus.Completed)
        {
            var why = finished.Error is { } e ? $": {e.CodeName}: {e.Message}" : "";
            throw new GleitzeitException(GleitzeitErrorCode.TaskSubworkflowFailed,
                $"sub-workflow '{spec}' (run {finished.WorkflowId}) ended {Persistence.StoreJson.StatusName(finished.Status)}{why}", data: result);
        }
        return result;
    }

    private async Task<WorkflowRun> RunOrContinueChildAsync(Workflow child, string childId, Dictionary<string, JsonNode?> inputs, string parentId, CancellationToken cancellationToken)
    {
        if (_active.ContainsKey(childId)) return await WaitAsync(childId, cancellationToken).ConfigureAwait(false);
        var stored = await _store.GetRunAsync(childId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            try
            {
                await SubmitAsync(child, new RunOptions { WorkflowId = childId, Inputs = inputs, ParentId = parentId }, cancellationToken).ConfigureAwait(false);
            }
            catch (GleitzeitException ex) when (ex.Code == GleitzeitErrorCode.WorkflowAlreadyExists)
            {
                // Started meanwhile (by a resume of unfinished runs, say): wait for it below.
            }
            return await WaitAsync(childId, cancellationToken).ConfigureAwait(false);
        }
        // A child of an earlier attempt (the parent was interrupted, or crashed): it is continued, never started twice.
        if (!IsResumable(stored)) return stored;
        try
        {
            return await ResumeAsync(childId, cancellationToken).ConfigureAwait(false);
        }
        catch (GleitzeitException ex) when (ex.Code == GleitzeitErrorCode.WorkflowAlreadyExists)
        {
            return await WaitAsync(childId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The workflow a workflow/run task names: a file relative to its parent's directory, or a registered name.</summary>
    private Workflow ResolveChildWorkflow(Workflow parent, string spec)
    {
        if (SubWorkflows.LooksLikeFile(spec))
        {
            var path = SubWorkflows.PathOf(parent, spec);
            if (!File.Exists(path))
            {
                throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"sub-workflow file '{spec}' not found (looked at {path})");
            }
            try
            {
                return WorkflowLoader.LoadFile(path, registry: _registry);
            }
            catch (WorkflowValidationException ex)
            {
                throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"sub-workflow '{spec}' is invalid: {ex.Message}", ex);
            }
        }
        if (_namedWorkflows.TryGetValue(spec, out var named)) return named;
        throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, SubWorkflows.UnknownName(spec, _namedWorkflows.Keys));
    }

    /// <summary>Cancels the unfinished child runs of a stored run's workflow/run tasks (the run is cancelled while not active here).</summary>
    private async Task CancelChildrenAsync(WorkflowRun stored, CancellationToken cancellationToken)
    {
        if (stored.Workflow is not { } workflow) return;
        foreach (var taskId in stored.Tasks.Keys)
        {
            var open = taskId.EndsWith(']') ? taskId.LastIndexOf('[') : -1;
            var def = workflow.FindTask(taskId) ?? (open > 0 ? workflow.FindTask(taskId[..open]) : null);
            if (def is null || def.Method != WorkflowRunProvider.MethodName) continue;
            var childId = ChildRunId(stored.WorkflowId, taskId, stored.Tasks[taskId].Iteration);
            if (await _store.GetRunAsync(childId, cancellationToken).ConfigureAwait(false) is { IsFinished: false })
            {
                await CancelAsync(childId, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
