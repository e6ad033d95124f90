using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Execution;

// foreach: a task whose dependencies are done expands into one item per element of its list. The expansion (the list,
// and every item queued) is stored in one write before any item runs; each item is then a task of its own (state,
// attempts, retries, events). The last item to complete completes the foreach task with every item's result, in order;
// the first to fail for good fails it (items not started are skipped, its dependents too).
public sealed partial class ExecutionEngine
{
    /// <summary>The id of a foreach task's item: <c>research[3]</c>.</summary>
    internal static string ItemId(string taskId, int index) => ForEachLists.ItemId(taskId, index);

    private async ValueTask ExpandAsync(RunState run, TaskState parent)
    {
        var def = parent.Definition;
        var now = _time.GetUtcNow();
        JsonArray list;
        try
        {
            list = (JsonArray)ResolveForEach(def, run.Results, run.Inputs).DeepClone();
        }
        catch (GleitzeitException ex)
        {
            var failed = parent.Current with { Status = WorkflowTaskStatus.Failed, StartedAt = now, CompletedAt = now, Error = ex.ToError() };
            await EndUnsuccessfulAsync(run, parent, failed).ConfigureAwait(false);
            return;
        }

        if (list.Count == 0)
        {
            lock (_gate)
            {
                parent.Concluding = true;
            }
            await CompleteAsync(run, parent, parent.Current with { StartedAt = now }, ForEachResult([]), now).ConfigureAwait(false);
            return;
        }

        var items = new TaskState[list.Count];
        var batch = new List<TaskResult>(list.Count + 1);
        var running = parent.Current with
        {
            Status = WorkflowTaskStatus.Running,
            StartedAt = parent.Current.StartedAt ?? now,
            Result = new JsonObject { ["items"] = list, ["count"] = list.Count },
        };
        batch.Add(running);
        for (var i = 0; i < items.Length; i++)
        {
            var item = NewItem(run, parent, i, list[i], new TaskResult { TaskId = ItemId(def.Id, i), Status = WorkflowTaskStatus.Queued });
            items[i] = item;
            batch.Add(item.Current);
        }
        // The expansion is stored before any item runs: a resumed run finds it and never expands again.
        await _store.SaveTasksAsync(run.Id, batch, CancellationToken.None).ConfigureAwait(false);

        bool stopped;
        lock (_gate)
        {
            stopped = parent.Finished;
            if (!stopped)
            {
                lock (run.EventGate)
                {
                    parent.Items = items;
                }
                parent.ItemsRemaining = items.Length;
                run.Unfinished += items.Length;
                Interlocked.Add(ref run.Outstanding, items.Length);
            }
        }
        if (stopped)
        {
            // The run was stopped between the expansion's write and now: the items never start. Interrupted, they stay
            // queued in the store and run when the run is resumed; cancelled, they are cancelled with it.
            if (run.StopReason is not (StopReason.Shutdown or StopReason.LeaseLost))
            {
                var error = run.StopError ?? CancelledError("the run was cancelled");
                await _store.SaveTasksAsync(run.Id, items.Select(t => t.Current with { Status = WorkflowTaskStatus.Cancelled, CompletedAt = now, Error = error }).ToList(), CancellationToken.None).ConfigureAwait(false);
            }
            return;
        }

        var listeners = run.HasListeners;
        run.Transition(parent, running, listeners ? new TaskStarted(run.Id, now, def.Id, 1) : null);
        if (listeners)
        {
            foreach (var item in items) run.Publish(new TaskQueued(run.Id, now, item.Definition.Id));
        }
        lock (_gate)
        {
            foreach (var item in items)
            {
                if (!item.Finished) EnqueueLocked(item);
            }
            DispatchLocked();
        }
    }

    private TaskState NewItem(RunState run, TaskState parent, int index, JsonNode? value, TaskResult current)
    {
        var def = parent.Definition;
        var itemDef = ForEachLists.ItemDefinition(def, index);
        return new TaskState(this, run, itemDef, -1, parent.Registration, parent.Method, current, parent.HasReferences)
        {
            Parent = parent,
            ItemIndex = index,
            ItemValue = value,
            LaneName = parent.LaneName,
            LaneBound = parent.LaneBound,
            Attempt = current.Status == WorkflowTaskStatus.Pending ? current.Attempts : 0,
            Finished = IsFinal(current.Status),
        };
    }

    /// <summary>The list a foreach task iterates: its literal, or the value its reference names (which must be a list).</summary>
    internal static JsonArray ResolveForEach(WorkflowTask task, IReadOnlyDictionary<string, TaskResult> results, IReadOnlyDictionary<string, JsonNode?> inputs) =>
        ForEachLists.Resolve(task, results, inputs);

    private static JsonObject ForEachResult(JsonArray results) => ForEachLists.Aggregate(results);

    /// <summary>An item completed (stored and applied): the last one completes its foreach task.</summary>
    private async ValueTask ItemCompletedAsync(RunState run, TaskState parent)
    {
        bool conclude;
        lock (_gate)
        {
            parent.ItemsRemaining--;
            conclude = parent.ItemsRemaining == 0 && !parent.Finished && !parent.Concluding;
            if (conclude) parent.Concluding = true;
        }
        if (conclude) await CompleteForEachAsync(run, parent).ConfigureAwait(false);
    }

    /// <summary>Completes a foreach task whose items all completed, with their results in order.</summary>
    private async ValueTask CompleteForEachAsync(RunState run, TaskState parent)
    {
        var items = parent.Items!;
        var results = new JsonArray();
        foreach (var item in items) results.Add(item.Current.Result?.DeepClone());
        var now = _time.GetUtcNow();
        await CompleteAsync(run, parent, parent.Current, ForEachResult(results), now).ConfigureAwait(false);
    }

    /// <summary>An item failed for good (and claimed its foreach task's failure): the foreach task fails, naming it.</summary>
    private async ValueTask FailForEachAsync(RunState run, TaskState parent, TaskState item, GleitzeitError error)
    {
        var now = _time.GetUtcNow();
        var failed = parent.Current with
        {
            Status = WorkflowTaskStatus.Failed,
            Result = null,
            CompletedAt = now,
            Error = ItemFailure(item.Definition.Id, error),
        };
        await EndUnsuccessfulAsync(run, parent, failed).ConfigureAwait(false);
    }

    private static GleitzeitError ItemFailure(string itemId, GleitzeitError error) => ForEachLists.ItemFailure(itemId, error);

    private static GleitzeitError ItemSkipped(string taskId) => new(GleitzeitErrorCode.TaskDependencyFailed, $"dependency '{taskId}' failed");

    private static bool IsFinal(WorkflowTaskStatus status) =>
        status is WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped or WorkflowTaskStatus.Cancelled;

    /// <summary>
    /// A resumed run: a foreach task's stored expansion becomes its items again (never a second expansion). A finished
    /// foreach task gets its items back as they were stored (to be shown); an unfinished one whose expansion was stored
    /// gets them to continue: completed items keep their results, the others run, and an item that failed for good
    /// fails the task now (the crash came before its failure reached the task).
    /// </summary>
    private void RestoreItems(RunState run, TaskState parent, WorkflowRun existing)
    {
        var def = parent.Definition;
        if (!existing.Tasks.TryGetValue(def.Id, out var storedParent)) return;
        var expansion = !parent.Finished && storedParent.Result is JsonObject o && o["items"] is JsonArray list ? list : null;
        var count = expansion?.Count ?? 0;
        if (expansion is null)
        {
            // Count what was stored (a finished foreach task; its items are shown, not run).
            while (existing.Tasks.ContainsKey(ItemId(def.Id, count))) count++;
            if (count == 0) return;
        }
        var items = new TaskState[count];
        var remaining = 0;
        TaskState? failedItem = null;
        for (var i = 0; i < count; i++)
        {
            var id = ItemId(def.Id, i);
            var current = existing.Tasks.GetValueOrDefault(id) ?? TaskResult.Pending(id);
            if (expansion is null && !IsFinal(current.Status)) current = Skip(current, ItemSkipped(def.Id), _time.GetUtcNow());
            if (expansion is not null && current.Status is not (WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped))
            {
                current = current with { Status = WorkflowTaskStatus.Pending, Error = null, CompletedAt = null };
            }
            var item = NewItem(run, parent, i, expansion?[i], current);
            if (expansion is null) item.Finished = true;
            items[i] = item;
            if (current.Status != WorkflowTaskStatus.Completed) remaining++;
            if (current.Status == WorkflowTaskStatus.Failed) failedItem ??= item;
        }
        parent.Items = items;
        parent.ItemsRemaining = remaining;
        if (expansion is not null && failedItem is not null)
        {
            parent.Finished = true;
            parent.Concluding = true;
            parent.Current = parent.Current with
            {
                Status = WorkflowTaskStatus.Failed,
                Result = null,
                CompletedAt = _time.GetUtcNow(),
                Error = ItemFailure(failedItem.Definition.Id, failedItem.Current.Error ?? CancelledError("failed")),
            };
            foreach (var item in items)
            {
                if (item.Finished) continue;
                item.Finished = true;
                item.Current = Skip(item.Current, ItemSkipped(def.Id), _time.GetUtcNow());
            }
        }
    }

    /// <summary>The item's view of the run's results: <c>${item}</c> and <c>${index}</c> first, then the run's tasks.</summary>
    private sealed class ItemResults(IReadOnlyDictionary<string, TaskResult> run, JsonNode? item, int index) : IReadOnlyDictionary<string, TaskResult>
    {
        public const string ItemRoot = "item";
        public const string IndexRoot = "index";

        private TaskResult? _item;
        private TaskResult? _index;

        private TaskResult ItemResult => _item ??= new TaskResult { TaskId = ItemRoot, Status = WorkflowTaskStatus.Completed, Result = item };

        private TaskResult IndexResult => _index ??= new TaskResult { TaskId = IndexRoot, Status = WorkflowTaskStatus.Completed, Result = ForEachLists.IndexValue(index) };

        public TaskResult this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

        public IEnumerable<string> Keys => run.Keys.Where(k => k is not (ItemRoot or IndexRoot)).Append(ItemRoot).Append(IndexRoot);

        public IEnumerable<TaskResult> Values => Keys.Select(k => this[k]);

        public int Count => Keys.Count();

        public bool ContainsKey(string key) => key is ItemRoot or IndexRoot || run.ContainsKey(key);

        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TaskResult value)
        {
            switch (key)
            {
                case ItemRoot:
                    value = ItemResult;
                    return true;
                case IndexRoot:
                    value = IndexResult;
                    return true;
                default:
                    return run.TryGetValue(key, out value);
            }
        }

        public IEnumerator<KeyValuePair<string, TaskResult>> GetEnumerator() => Keys.Select(k => KeyValuePair.Create(k, this[k])).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
