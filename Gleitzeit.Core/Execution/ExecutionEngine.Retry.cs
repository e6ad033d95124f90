using System.Text.Json.Nodes;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Core.Execution;

// Retry of a finished run: a new run that keeps the results of the completed tasks not affected by the retry.
public sealed partial class ExecutionEngine
{
    /// <summary>
    /// Runs a finished run (<paramref name="workflowId"/>) again as a new run and returns it finished. The new run keeps the
    /// results of every task that completed in the old one, except <paramref name="fromTask"/> and everything downstream
    /// of it, and runs the rest. With <paramref name="workflow"/> (an edited definition), tasks whose definition changed,
    /// tasks that are new, and everything downstream of them run again too. The new run's <see cref="WorkflowRun.RetryOf"/>
    /// names the old one; its inputs are the old run's unless <paramref name="options"/> gives others.
    /// Throws WORKFLOW_NOT_FOUND for an unknown run, WORKFLOW_STILL_RUNNING for one that has not finished, and
    /// TASK_NOT_FOUND (with the nearest task id) when <paramref name="fromTask"/> names no task.
    /// </summary>
    public async Task<WorkflowRun> RetryAsync(string workflowId, string? fromTask = null, Workflow? workflow = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (definition, seed, inputs) = await PlanRetryAsync(workflowId, fromTask, workflow, options, cancellationToken).ConfigureAwait(false);
        var runOptions = (options ?? new RunOptions()) with { Inputs = inputs };
        var run = await StartAsync(definition, runOptions, existing: null, cancellationToken, seed).ConfigureAwait(false);
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => _ = ((RunState)s!).Engine.StopAsync((RunState)s!, StopReason.Cancelled, null), run)
            : default;
        return await run.Completion.Task.ConfigureAwait(false);
    }

    private async Task<(Workflow Definition, WorkflowRun Seed, IReadOnlyDictionary<string, JsonNode?> Inputs)> PlanRetryAsync(
        string workflowId, string? fromTask, Workflow? edited, RunOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(workflowId);
        var stored = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(workflowId);
        if (_active.ContainsKey(workflowId) || !stored.IsFinished)
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowStillRunning,
                $"Run '{workflowId}' is {StoreJson.StatusName(stored.Status)}, not finished: only a completed, failed or cancelled run can be retried. "
                + (stored.Status == WorkflowStatus.Interrupted ? "Continue it with resume instead." : "Wait for it to end, or cancel it first."));
        }
        var old = stored.Workflow
            ?? throw new GleitzeitException(GleitzeitErrorCode.WorkflowExecutionFailed, $"Run '{workflowId}' cannot be retried: the store holds no definition for it.");
        var next = edited ?? old;
        if (fromTask is not null && next.FindTask(fromTask) is null)
        {
            var ids = next.Tasks.Select(t => t.Id).ToList();
            throw new GleitzeitException(GleitzeitErrorCode.TaskNotFound,
                $"Run '{workflowId}' has no task '{fromTask}' to retry from{(Spelling.Suggest(fromTask, ids) is { } near ? $": did you mean '{near}'?" : "")} Its tasks: {string.Join(", ", ids)}.");
        }

        // Tasks that run again: the one named, those new or changed, those that did not complete; then all downstream of them.
        var again = new HashSet<string>(StringComparer.Ordinal);
        if (fromTask is not null) again.Add(fromTask);
        foreach (var task in next.Tasks)
        {
            var before = old.FindTask(task.Id);
            if (before is null || !SameDefinition(before, task)) again.Add(task.Id);
            if (!stored.Tasks.TryGetValue(task.Id, out var state) || state.Status != WorkflowTaskStatus.Completed) again.Add(task.Id);
        }
        var dependents = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var task in next.Tasks)
        {
            foreach (var dep in task.Dependencies) (dependents.TryGetValue(dep, out var list) ? list : dependents[dep] = []).Add(task.Id);
        }
        var stack = new Stack<string>(again);
        while (stack.TryPop(out var id))
        {
            if (!dependents.TryGetValue(id, out var list)) continue;
            foreach (var d in list)
            {
                if (again.Add(d)) stack.Push(d);
            }
        }

        var kept = new Dictionary<string, TaskResult>(StringComparer.Ordinal);
        foreach (var task in next.Tasks)
        {
            if (!again.Contains(task.Id)) kept[task.Id] = stored.Tasks[task.Id];
        }
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (k, v) in stored.Inputs)
        {
            if (next.Inputs.ContainsKey(k)) inputs[k] = v?.DeepClone();
        }
        if (options is not null)
        {
            foreach (var (k, v) in options.Inputs) inputs[k] = v?.DeepClone();
        }
        var definition = next with { Id = "", RetryOf = workflowId };
        var seed = new WorkflowRun { WorkflowId = "", Name = definition.Name, Tasks = kept };
        return (definition, seed, inputs);
    }

    /// <summary>Whether two definitions of a task would run the same call (its stored form, id to cache policy).</summary>
    private static bool SameDefinition(WorkflowTask a, WorkflowTask b) =>
        JsonNode.DeepEquals(StoreJson.ToJson(a), StoreJson.ToJson(b));
}
