using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// Submits workflows for distributed execution: the run is stored, each task's count of unfinished dependencies is
/// recorded, and the tasks without dependencies go into the ready set (ranked by priority, then first in first out)
/// that <see cref="GleitzeitWorker"/>s on any machine take from. Nothing runs in the submitting process. Status is read from the store, from any machine.
/// </summary>
public sealed class RedisWorkflowQueue
{
    private readonly RedisWorkflowStore _store;
    private readonly TimeProvider _time;
    private bool _groupReady;

    /// <summary>Creates a queue that submits runs into <paramref name="store"/>; <paramref name="timeProvider"/> stamps them (the system clock when null).</summary>
    public RedisWorkflowQueue(RedisWorkflowStore store, TimeProvider? timeProvider = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The store holding the runs of this queue.</summary>
    public RedisWorkflowStore Store => _store;

    private RedisConnection Connection => _store.Connection;

    /// <summary>
    /// Stores the run and queues its first tasks; returns the run id (<paramref name="workflowId"/>, else the workflow's
    /// <see cref="Workflow.Id"/>, else a new one). The workflow's structure is validated here (ids, dependencies, cycles,
    /// references); methods and parameters are checked by the worker that runs each task against its own providers.
    /// Throws <see cref="WorkflowValidationException"/> for an invalid workflow or an unknown input, WORKFLOW_ALREADY_EXISTS
    /// for a taken id, PERSISTENCE_CONNECTION_FAILED when Redis is unreachable.
    /// </summary>
    public Task<string> SubmitAsync(Workflow workflow, IReadOnlyDictionary<string, JsonNode?>? inputs = null, string? workflowId = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(workflow, inputs, workflowId, parent: null, cancellationToken);

    /// <summary>
    /// Submits a run; with <paramref name="parent"/>, the child run of that run's workflow/run task (its
    /// <see cref="WorkflowRun.ParentId"/>), whose end makes that task ready again for a worker to record.
    /// </summary>
    internal async Task<string> SubmitAsync(Workflow workflow, IReadOnlyDictionary<string, JsonNode?>? inputs, string? workflowId, ChildOf? parent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        cancellationToken.ThrowIfCancellationRequested();
        WorkflowValidator.EnsureValid(workflow, registry: null, workflow.Name);
        // Workers know sub-workflows by file only: registered names live in an ExecutionEngine.
        var unsupported = workflow.Tasks.Where(t => t.Method == SubWorkflowMethod
            && (t.Parameters["workflow"] is not JsonValue v || !v.TryGetValue<string>(out var spec) || !SubWorkflowFiles.LooksLikeFile(spec))).ToList();
        if (unsupported.Count > 0)
        {
            throw new WorkflowValidationException(unsupported.Select(t => new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed,
                $"a workflow/run task names a registered workflow ('{t.Parameters["workflow"]}'), which Redis workers do not know (workflows are registered with an ExecutionEngine): "
                + "give the sub-workflow as a file path relative to this workflow's file (ending in .yaml), or run this workflow in an ExecutionEngine (gleitzeit run without --detach), with the Redis store if you like",
                t.Id, "parameters.workflow")).ToList(), workflow.Name);
        }
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (k, v) in workflow.Inputs) values[k] = v?.DeepClone();
        foreach (var (k, v) in inputs ?? new Dictionary<string, JsonNode?>())
        {
            if (!workflow.Inputs.ContainsKey(k))
            {
                throw new WorkflowValidationException([new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed,
                    $"unknown input '{k}'" + (workflow.Inputs.Count > 0 ? $"; the workflow declares: {string.Join(", ", workflow.Inputs.Keys)}" : "; the workflow declares no inputs"))], workflow.Name);
            }
            values[k] = v?.DeepClone();
        }

        var id = workflowId ?? (string.IsNullOrEmpty(workflow.Id) ? "wf-" + Guid.CreateVersion7().ToString("N") : workflow.Id);
        // The run's span covers its submission; the workers' attempt spans join its trace through the stream entries.
        using var activity = RedisDiagnostics.StartRun(workflow.Name, id);
        var now = _time.GetUtcNow();
        var definition = workflow with { Id = id };
        var run = new WorkflowRun
        {
            WorkflowId = id,
            Name = workflow.Name,
            Status = WorkflowStatus.Pending,
            Workflow = definition,
            Inputs = values,
            CreatedAt = now,
            ParentId = parent?.RunId,
            Tasks = definition.Tasks.ToDictionary(t => t.Id, t => TaskResult.Pending(t.Id), StringComparer.Ordinal),
        };
        if (!_groupReady)
        {
            await EnsureGroupAsync(Connection, cancellationToken).ConfigureAwait(false);
            _groupReady = true;
        }
        await _store.CreateRunAsync(run, cancellationToken).ConfigureAwait(false);
        if (parent is not null)
        {
            // Before any task is queued: the child's end (finish_run) makes the parent's task ready again.
            await LinkChildAsync(Connection, id, parent).ConfigureAwait(false);
        }
        if ((activity ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C } traced)
        {
            await Connection.RunAsync(db => db.HashSetAsync(Connection.Keys.Run(id), "traceparent", traced.Id), "storing the trace context of run " + id, CancellationToken.None)
                .ConfigureAwait(false);
        }

        // The run is stored: queue its first tasks whatever the token says now, or it would stay pending with nothing queued.
        await QueueFirstTasksAsync(Connection, definition, id, now).ConfigureAwait(false);
        return id;
    }

    /// <summary>The method of a sub-workflow task.</summary>
    internal const string SubWorkflowMethod = "workflow/run";

    /// <summary>A child run's link to the workflow/run task that started it.</summary>
    internal sealed record ChildOf(string RunId, string TaskId, int Priority);

    /// <summary>Links a child run to its parent's task: what the child's end (finish_run) makes ready again.</summary>
    internal static async Task LinkChildAsync(RedisConnection connection, string childId, ChildOf parent) =>
        await connection.RunAsync(async db =>
        {
            await db.HashSetAsync(connection.Keys.Run(childId), [new("parent_run", parent.RunId), new("parent_task", parent.TaskId), new("parent_prio", parent.Priority)]).ConfigureAwait(false);
            return true;
        }, "linking run " + childId + " to its parent", CancellationToken.None).ConfigureAwait(false);

    /// <summary>Queues a stored run's first tasks; does nothing when they were queued already (the script is idempotent).</summary>
    internal static async Task QueueFirstTasksAsync(RedisConnection connection, Workflow definition, string id, DateTimeOffset now)
    {
        var args = new List<RedisValue>(definition.Tasks.Count * 3);
        foreach (var t in definition.Tasks)
        {
            args.Add(t.Id);
            args.Add(t.Dependencies.Distinct(StringComparer.Ordinal).Count());
            args.Add(t.Priority);
        }
        await Evaluate(connection, QueueScripts.Submit, id, now, args, "submitting run " + id).ConfigureAwait(false);
    }

    /// <summary>
    /// Cancels a run: tasks not running end <c>cancelled</c> at once; a running task's cancellation token fires on whichever
    /// worker runs it, and the run ends <c>cancelled</c> when the last of them stopped. No effect on a finished run.
    /// </summary>
    public async Task CancelAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        var outcome = await StopAsync(Connection, workflowId, _time.GetUtcNow(), "cancelled", new GleitzeitError(GleitzeitErrorCode.TaskCancelled, "the run was cancelled"),
            cancellationToken).ConfigureAwait(false);
        switch (outcome)
        {
            case -1:
                throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");
            case -2:
                throw new GleitzeitException(GleitzeitErrorCode.QueueNotFound,
                    $"Run '{workflowId}' was not submitted to the Redis queue (it runs in an ExecutionEngine); cancel it through that engine.");
        }
    }

    /// <summary>
    /// Whether the run was submitted to this queue (false for an unknown run and for one an <c>ExecutionEngine</c> runs).
    /// A queued run belongs to the workers: cancel it with <see cref="CancelAsync"/>, never resume it in an engine.
    /// </summary>
    public async Task<bool> IsQueuedAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        return await Connection.RunAsync(db => db.HashExistsAsync(Connection.Keys.Run(workflowId), "remaining"), "reading run " + workflowId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The run's current state, or null.</summary>
    public async Task<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default) =>
        await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false);

    /// <summary>Waits until the run finished (completed, failed or cancelled) and returns it. Woken by the workers' notification, checked at least every second.</summary>
    public async Task<WorkflowRun> WaitAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        cancellationToken.ThrowIfCancellationRequested();
        var pulse = new Pulse();
        var subscriber = await Connection.GetSubscriberAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        var channel = Connection.Keys.FinishedChannel;
        Action<RedisChannel, RedisValue> handler = (_, value) =>
        {
            if (value == workflowId) pulse.Fire();
        };
        await subscriber.SubscribeAsync(channel, handler).WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var next = pulse.Next;
                WorkflowRun? run = null;
                try
                {
                    run = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false)
                        ?? throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");
                }
                catch (GleitzeitException ex) when (ex.Code == GleitzeitErrorCode.PersistenceConnectionFailed)
                {
                    // Redis is reconnecting: keep waiting.
                }
                if (run?.IsFinished == true) return run;
                await Pulse.WaitAsync(next, TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                await subscriber.UnsubscribeAsync(channel, handler).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisConnection.IsConnectionFailure(ex))
            {
                // The subscription dies with the connection anyway.
            }
        }
    }

    /// <summary>
    /// Answers a waiting task of a queued run (a person's approval, rejection or input): checked by
    /// <see cref="Gleitzeit.Core.Human.HumanDecisions.Decide"/>, then recorded by one Lua script only while the task is stored
    /// waiting (the first answer wins; a second gets TASK_ALREADY_ANSWERED); its dependents are queued for the workers, which
    /// continue the run. Returns the task's decided state. Errors leave Redis unchanged.
    /// </summary>
    public async Task<TaskResult> AnswerAsync(string workflowId, string taskId, Gleitzeit.Core.Human.HumanAnswer answer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(taskId);
        ArgumentNullException.ThrowIfNull(answer);
        var run = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false)
            ?? throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");
        var now = _time.GetUtcNow();
        var decided = Gleitzeit.Core.Human.HumanDecisions.Decide(run, taskId, answer, now);
        if (!await RecordDecisionAsync(Connection, run.Workflow!, workflowId, decided, now, cancellationToken).ConfigureAwait(false))
        {
            var current = (await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false))?.Tasks.GetValueOrDefault(taskId);
            var who = current?.Result?["by"] is { } by ? $" by {by.ToJsonString()}" : "";
            throw new GleitzeitException(GleitzeitErrorCode.TaskAlreadyAnswered,
                $"Task '{taskId}' of run '{workflowId}' was not answered by this call: it is {current?.Status.ToString().ToLowerInvariant() ?? "gone"}{who} now. The first answer wins; this one is not recorded.");
        }
        return decided;
    }

    /// <summary>Records a waiting task's decision with its consequences (dependents queued, or skipped when it failed),
    /// only while the task is stored waiting. False when it was not (nothing written).</summary>
    internal static async Task<bool> RecordDecisionAsync(RedisConnection connection, Workflow workflow, string runId, TaskResult decided, DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        var context = new RunContext(runId, workflow, new Dictionary<string, JsonNode?>());
        var status = Gleitzeit.Core.Persistence.StoreJson.StatusName(decided.Status);
        // An item of a foreach task: its completion counts toward the task's aggregate, its failure fails the task.
        var owner = context.ForEachOf(decided.TaskId, out _);
        var direct = context.Dependents(owner?.Id ?? decided.TaskId);
        var args = new List<RedisValue>
        {
            decided.TaskId, Gleitzeit.Core.Persistence.StoreJson.ToJson(decided).ToJsonString(), status,
            RedisWorkflowStore.EventJson(decided.TaskId, status, decided.CompletedAt ?? now, decided.Attempts, decided.Error),
            decided.Error is { } e ? $": {decided.TaskId}: {e.CodeName}: {e.Message}" : "",
            owner?.Id ?? "",
            owner is null ? "" : decided.Result?.ToJsonString() ?? "null",
            owner is not null && decided.Error is { } failure ? Gleitzeit.Core.Execution.ForEachLists.ItemFailure(decided.TaskId, failure).ToJson().ToJsonString() : "",
            direct.Count,
        };
        foreach (var d in direct)
        {
            args.Add(d);
            args.Add(workflow.FindTask(d)?.Priority ?? TaskPriority.Normal);
        }
        if (decided.Status != WorkflowTaskStatus.Completed)
        {
            context.AppendSkipGraph(owner?.Id ?? decided.TaskId, args);
        }
        var outcome = (int)await Evaluate(connection, QueueScripts.Answer, runId, now, args, "recording the answer to " + decided.TaskId, cancellationToken).ConfigureAwait(false);
        if (outcome < 0) throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{runId}'.");
        return outcome == 1;
    }

    /// <summary>
    /// Runs the stop script: reason <c>cancelled</c> or <c>timeout</c>, <paramref name="taskError"/> for the tasks it stops.
    /// The child runs of its workflow/run tasks are cancelled with it, as the engine cancels them.
    /// </summary>
    internal static async Task<int> StopAsync(RedisConnection connection, string runId, DateTimeOffset now, string reason, GleitzeitError taskError,
        CancellationToken cancellationToken = default)
    {
        var result = (RedisResult[])(await Evaluate(connection, QueueScripts.Cancel, runId, now,
            [connection.Keys.CancelChannel.ToString(), reason, taskError.ToJson().ToJsonString()], "stopping run " + runId, cancellationToken).ConfigureAwait(false))!;
        for (var i = 1; i < result.Length; i++) await CancelChildAsync(connection, (string)result[i]!, now).ConfigureAwait(false);
        return (int)result[0];
    }

    /// <summary>Cancels the child run of a workflow/run task whose run stopped (and, through it, the child's own children).</summary>
    internal static Task<int> CancelChildAsync(RedisConnection connection, string childId, DateTimeOffset now) =>
        StopAsync(connection, childId, now, "cancelled", new GleitzeitError(GleitzeitErrorCode.TaskCancelled, "the run was cancelled"));

    /// <summary>Creates the stream and its consumer group unless they exist (workers and submitters both may be first).</summary>
    internal static async Task EnsureGroupAsync(RedisConnection connection, CancellationToken cancellationToken = default)
    {
        try
        {
            await connection.RunAsync(db => db.StreamCreateConsumerGroupAsync(connection.Keys.Queue, connection.Keys.Group, "0-0", createStream: true),
                "creating the consumer group", cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Already there.
        }
    }

    internal Task<RedisResult> EvaluateAsync(string script, string runId, DateTimeOffset now, IReadOnlyList<RedisValue> extra, string what) =>
        Evaluate(Connection, script, runId, now, extra, what);

    internal static async Task<RedisResult> Evaluate(RedisConnection connection, string script, string runId, DateTimeOffset now, IReadOnlyList<RedisValue> extra, string what,
        CancellationToken cancellationToken = default)
    {
        var k = connection.Keys;
        RedisKey[] keys = [k.Run(runId), k.Tasks(runId), k.Statuses(runId), k.Events(runId), k.Pending(runId), k.Done(runId), k.Attempts(runId), k.Queue, k.Delayed, k.Ready, k.ReadySequence, k.Lanes, k.CompletedDependencies(runId), k.ForEach(runId), k.ItemValues(runId)];
        var args = new RedisValue[5 + extra.Count];
        args[0] = runId;
        args[1] = RedisWorkflowStore.Time(now);
        args[2] = k.WakeChannel.ToString();
        args[3] = k.FinishedChannel.ToString();
        args[4] = k.Group;
        for (var i = 0; i < extra.Count; i++) args[5 + i] = extra[i];
        return await connection.RunAsync(db => db.ScriptEvaluateAsync(script, keys, args), what, cancellationToken).ConfigureAwait(false);
    }
}
