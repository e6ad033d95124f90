using System.Globalization;
using System.Text;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Cli.Rendering;

/// <summary>One task's line in the live view.</summary>
internal sealed class TaskLine(string id)
{
    public string Id { get; } = id;

    public string State { get; set; } = "pending";

    public int Attempt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public TimeSpan? Duration { get; set; }

    public string Note { get; set; } = "";

    /// <summary>For a loop task, the iteration it is in (1-based) and its bound; 0 for other tasks.</summary>
    public int Iteration { get; set; }

    public int MaxIterations { get; set; }

    /// <summary>The tail of the tokens streamed by the running task.</summary>
    public StringBuilder Stream { get; } = new();

    /// <summary>A foreach task's items by index: each item's state (the line shows the counts, not a line per item).</summary>
    public Dictionary<int, string>? Items { get; set; }

    /// <summary>"3/10 items completed, 2 running, 1 failed" for a foreach task.</summary>
    public string ItemSummary()
    {
        if (Items is not { } items) return "";
        int completed = 0, running = 0, failed = 0, skipped = 0;
        foreach (var state in items.Values)
        {
            switch (state)
            {
                case "completed": completed++; break;
                case "running" or "retrying": running++; break;
                case "failed": failed++; break;
                case "skipped" or "cancelled": skipped++; break;
            }
        }
        var text = $"{completed}/{items.Count} item{(items.Count == 1 ? "" : "s")} completed";
        if (running > 0) text += $", {running} running";
        if (failed > 0) text += $", {failed} failed";
        if (skipped > 0) text += $", {skipped} skipped";
        return text;
    }
}

/// <summary>
/// Follows a run's events. Rich mode keeps a table per task that the live view draws; plain mode prints one line per
/// transition (and, with <c>--watch</c>, the streamed text); JSON mode prints nothing until the end.
/// </summary>
internal sealed class RunProgress
{
    private const int StreamTail = 80;
    private readonly Output _output;
    private readonly bool _watch;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TaskLine> _tasks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StringBuilder> _pendingText = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _awaiting = new(StringComparer.Ordinal);

    private readonly Func<string, string> _label;
    private readonly Func<string, string, string, IReadOnlyList<string>> _answerHint;

    /// <summary>Follows the tasks <paramref name="taskIds"/>; <paramref name="label"/> is how a plain progress line names a task
    /// (default <c>task ID</c>; <c>task submit</c> names its one task by its method).</summary>
    public RunProgress(Output output, bool watch, IEnumerable<string> taskIds, Func<string, string>? label = null, Func<string, string, string, IReadOnlyList<string>>? answerHint = null)
    {
        _output = output;
        _watch = watch;
        _answerHint = answerHint ?? ((id, task, method) => method == "human/input"
            ? [$"gleitzeit workflow respond {id} {task} --data 'JSON'"]
            : [$"gleitzeit workflow approve {id} {task} [--comment TEXT]", $"gleitzeit workflow reject {id} {task} [--comment TEXT]"]);
        _label = label ?? (id => $"task {id}");
        foreach (var id in taskIds) _tasks[id] = new TaskLine(id);
    }

    /// <summary>Follows the tasks of <paramref name="workflow"/>, showing the iteration of its loop tasks.</summary>
    public RunProgress(Output output, bool watch, Workflow workflow, Func<string, string>? label = null, Func<string, string, string, IReadOnlyList<string>>? answerHint = null)
        : this(output, watch, workflow.Tasks.Select(t => t.Id), label, answerHint)
    {
        foreach (var t in workflow.Tasks)
        {
            if (t.Loop is { } loop) _tasks[t.Id].MaxIterations = loop.MaxIterations;
        }
    }

    public string? WorkflowId { get; private set; }

    /// <summary>Feeds one event (called on the engine's thread: quick, no blocking I/O beyond a console line).</summary>
    public void OnEvent(WorkflowEvent evt)
    {
        if (_output.Json) return;
        lock (_gate)
        {
            WorkflowId ??= evt.WorkflowId;
            switch (evt)
            {
                case TaskWaiting w:
                    _awaiting[w.TaskId] = Awaited(w);
                    break;
                case TaskAnswered or TaskCompleted or TaskFailed or TaskSkipped:
                    _awaiting.Remove(TaskIdOf(evt));
                    break;
            }
            var line = evt switch
            {
                WorkflowStarted s => $"workflow {s.Name} ({s.WorkflowId}) started with {s.TaskCount} task{(s.TaskCount == 1 ? "" : "s")}",
                TaskQueued q => Queued(q),
                TaskStarted s => Update(s.TaskId, t => { t.State = Looping(t, "running"); t.Attempt = s.Attempt; t.StartedAt = s.Timestamp; t.Stream.Clear(); t.Note = ""; },
                    $"{_label(s.TaskId)} started (attempt {s.Attempt}{IterationNote(s.TaskId)})"),
                TaskProgress p => Progress(p),
                TaskRateLimited l => Update(l.TaskId, t => { t.State = "queued"; t.Note = $"waiting for the {l.Provider} rate limit"; },
                    $"{_label(l.TaskId)} waiting {JsonShapes.Duration(l.Delay)} for the {l.Provider} rate limit (no attempt counted)"),
                TaskCacheHit h => Update(h.TaskId, t => t.Note = "from the cache", $"{_label(h.TaskId)} answered from the result cache"),
                TaskRetrying r => Update(r.TaskId, t => { t.State = "retrying"; t.Note = Brief(r.Error); }, $"{_label(r.TaskId)} retrying: attempt {r.NextAttempt} in {JsonShapes.Duration(r.Delay)} after {Brief(r.Error)}"),
                TaskCompleted c => Update(c.TaskId, t => { t.State = "completed"; t.Attempt = c.Attempts; t.Duration = c.Duration; t.Note = Output.Clip(JsonShapes.Describe(c.Result), StreamTail); }, $"{_label(c.TaskId)} completed in {JsonShapes.Duration(c.Duration)}"),
                TaskFailed f => Update(f.TaskId, t => { t.State = "failed"; t.Attempt = f.Attempts; t.Duration = t.StartedAt is { } st ? f.Timestamp - st : null; t.Note = Brief(f.Error); }, $"{_label(f.TaskId)} failed after {f.Attempts} attempt{(f.Attempts == 1 ? "" : "s")}: {Brief(f.Error)}"),
                TaskSkipped k => Update(k.TaskId, t => { t.State = SkipState(k.Error); t.Note = FirstLine(k.Error.Message); }, $"{_label(k.TaskId)} {SkipState(k.Error)}: {FirstLine(k.Error.Message)}"),
                TaskWaiting w => Update(w.TaskId, t => { t.State = "waiting"; t.Note = $"{Output.Clip(FirstLine(w.Prompt), StreamTail)} → {_answerHint(w.WorkflowId, w.TaskId, w.Method)[0]}"; }, Awaited(w)),
                TaskAnswered a => Update(a.TaskId, t => { t.State = "answered"; t.Note = Decision(a); }, $"{_label(a.TaskId)} {Decision(a)}"),
                WorkflowWaiting w => $"workflow waiting for a person ({string.Join(", ", w.TaskIds)}); answer from any shell with the command above: this process continues the run when the answer arrives (Ctrl+C leaves it waiting)",
                WorkflowCompleted w => $"workflow {JsonShapes.Lower(w.Status)} in {JsonShapes.Duration(w.Duration)}",
                _ => null,
            };
            if (line is not null && !_output.Rich)
            {
                FlushText(evt);
                _output.Line(line);
            }
        }
    }

    private static string TaskIdOf(WorkflowEvent evt) => evt switch
    {
        TaskAnswered a => a.TaskId,
        TaskCompleted c => c.TaskId,
        TaskFailed f => f.TaskId,
        TaskSkipped k => k.TaskId,
        _ => "",
    };

    /// <summary>What the waiting tasks ask and how to answer them (rich mode shows it under the table).</summary>
    public List<string> Awaiting()
    {
        lock (_gate)
        {
            return [.. _awaiting.Values];
        }
    }

    private static string SkipState(GleitzeitError error) => error.Code switch
    {
        GleitzeitErrorCode.TaskCancelled => "cancelled",
        GleitzeitErrorCode.TaskConditionFalse => "skipped (condition false)",
        _ => "skipped",
    };

    /// <summary>A loop task queued again after an iteration is in the next one.</summary>
    private string? Queued(TaskQueued q)
    {
        string? line = null;
        Update(q.TaskId, t =>
        {
            if (t.MaxIterations > 0)
            {
                var again = t.State.StartsWith("running", StringComparison.Ordinal);
                t.Iteration = again ? t.Iteration + 1 : Math.Max(1, t.Iteration);
                if (again) line = $"{_label(q.TaskId)} iteration {t.Iteration - 1} done; iteration {t.Iteration} of at most {t.MaxIterations} queued";
            }
            t.State = Looping(t, "queued");
        }, null);
        return line;
    }

    private static string Looping(TaskLine t, string state) => t.MaxIterations > 0 && t.Iteration > 0 ? $"{state} ({t.Iteration}/{t.MaxIterations})" : state;

    private string IterationNote(string taskId) =>
        _tasks.TryGetValue(taskId, out var t) && t.MaxIterations > 0 && t.Iteration > 0 ? $", iteration {t.Iteration}/{t.MaxIterations}" : "";

    /// <summary>What a waiting task asks and the exact commands that answer it.</summary>
    private string Awaited(TaskWaiting w)
    {
        var sb = new StringBuilder();
        sb.Append(_label(w.TaskId)).Append(w.Method == "human/input" ? " waits for input: " : " waits for approval: ").Append(Output.Tidy(w.Prompt));
        if (w.Schema is not null) sb.Append("\n  schema: ").Append(w.Schema.ToJsonString());
        if (w.TimeoutAt is { } at) sb.Append("\n  decided by its timeout at ").Append(at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).Append(" UTC if nobody answers");
        sb.Append("\n  answer with:");
        foreach (var command in _answerHint(w.WorkflowId, w.TaskId, w.Method)) sb.Append("\n    ").Append(command);
        return sb.ToString();
    }

    private static string Decision(TaskAnswered a)
    {
        var by = a.By is null ? "" : $" by {a.By}";
        if (a.Result?["approved"] is { } approved) return (a.TimedOut ? "timed out: " : "") + ((bool)approved ? "approved" : "rejected") + by;
        return a.TimedOut ? "timed out" : "answered" + by;
    }

    /// <summary><c>CODE: first line of the message</c>: a progress line carries the gist (a Python traceback, say, is printed
    /// once, with the final error).</summary>
    public static string Brief(GleitzeitError error) => $"{error.CodeName}: {FirstLine(error.Message)}";

    public static string FirstLine(string message)
    {
        var text = Output.Tidy(message);
        var cut = text.IndexOf('\n');
        return cut < 0 ? text : text[..cut].TrimEnd();
    }

    private string? Update(string taskId, Action<TaskLine> change, string? line)
    {
        if (ItemOf(taskId) is { } item)
        {
            // An item of a foreach task (id[n]): counted on its task's line. Plain mode prints only what needs attention.
            var probe = new TaskLine(taskId);
            change(probe);
            (item.Owner.Items ??= [])[item.Index] = probe.State;
            item.Owner.Note = item.Owner.ItemSummary();
            return probe.State is "failed" or "retrying" ? line : null;
        }
        if (!_tasks.TryGetValue(taskId, out var t)) _tasks[taskId] = t = new TaskLine(taskId);
        change(t);
        if (t.Items is not null && t.State is "running" or "queued") t.Note = t.ItemSummary();
        return line;
    }

    /// <summary>The foreach task and index of an item id such as <c>research[3]</c>; null for a task of the workflow.</summary>
    private (TaskLine Owner, int Index)? ItemOf(string taskId)
    {
        if (taskId.Length < 4 || taskId[^1] != ']' || _tasks.ContainsKey(taskId)) return null;
        var open = taskId.LastIndexOf('[');
        if (open <= 0 || !int.TryParse(taskId.AsSpan(open + 1, taskId.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var index)) return null;
        return _tasks.TryGetValue(taskId[..open], out var owner) ? (owner, index) : null;
    }

    private string? Progress(TaskProgress p)
    {
        if (_tasks.TryGetValue(p.TaskId, out var t))
        {
            t.Stream.Append(p.Text);
            if (t.Stream.Length > StreamTail * 4) t.Stream.Remove(0, t.Stream.Length - StreamTail * 2);
        }
        if (!_watch || _output.Rich) return null;
        // Plain --watch: streamed text is printed line by line, prefixed with its task.
        if (!_pendingText.TryGetValue(p.TaskId, out var pending)) _pendingText[p.TaskId] = pending = new StringBuilder();
        pending.Append(p.Kind == TaskProgressKind.Token ? p.Text : p.Text.TrimEnd('\n') + "\n");
        var text = pending.ToString();
        var cut = text.LastIndexOf('\n');
        if (cut >= 0)
        {
            foreach (var l in text[..cut].Split('\n')) _output.Line($"  {p.TaskId}> {l}");
            pending.Clear().Append(text[(cut + 1)..]);
        }
        return null;
    }

    private void FlushText(WorkflowEvent evt)
    {
        var taskId = evt switch { TaskCompleted c => c.TaskId, TaskFailed f => f.TaskId, _ => null };
        if (taskId is not null && _pendingText.Remove(taskId, out var rest) && rest.Length > 0) _output.Line($"  {taskId}> {rest}");
    }

    /// <summary>A copy of the lines for drawing (rich mode).</summary>
    public List<(string Id, string State, string Attempt, string Duration, string Detail)> Snapshot(DateTimeOffset now)
    {
        lock (_gate)
        {
            return _tasks.Values.Select(t =>
            {
                var active = t.State.StartsWith("running", StringComparison.Ordinal) || t.State == "retrying";
                var duration = t.Duration ?? (active && t.StartedAt is { } s ? now - s : null);
                var detail = t.Items is not null ? t.ItemSummary() : t.State.StartsWith("running", StringComparison.Ordinal) && t.Stream.Length > 0 ? Tail(t.Stream) : t.Note;
                return (t.Id, t.State, t.Attempt == 0 ? "" : t.Attempt.ToString(CultureInfo.InvariantCulture), JsonShapes.Duration(duration), detail);
            }).ToList();
        }
    }

    private static string Tail(StringBuilder sb)
    {
        var text = sb.ToString().ReplaceLineEndings(" ");
        return text.Length <= StreamTail ? text : "…" + text[^(StreamTail - 1)..];
    }
}
