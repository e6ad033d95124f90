using System.Globalization;

namespace Gleitzeit.Core.Human;

/// <summary>
/// The rules of answering a waiting task, shared by the engine and by other runners (the Redis one): which task may be
/// answered, what its result becomes, and what its timeout decides. Every refusal is a <see cref="GleitzeitException"/>
/// saying what is wrong and how to fix it; nothing is written here.
/// </summary>
public static class HumanDecisions
{
    /// <summary>
    /// The state <paramref name="taskId"/> of <paramref name="run"/> takes when <paramref name="answer"/> is given at
    /// <paramref name="now"/>. Throws TASK_NOT_FOUND (naming the waiting tasks), TASK_NOT_WAITING, HUMAN_TIMEOUT (its
    /// timeout has decided), or HUMAN_INPUT_INVALID (quoting each schema violation with its JSON path); the answer's
    /// kind must fit the task (approve/reject an approval, respond to an input) else TASK_VALIDATION_FAILED.
    /// </summary>
    public static TaskResult Decide(WorkflowRun run, string taskId, HumanAnswer answer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(taskId);
        ArgumentNullException.ThrowIfNull(answer);
        var stored = Waiting(run, taskId);
        var wait = HumanRequest.FromWaitingResult(stored.Result)
            ?? throw new GleitzeitException(GleitzeitErrorCode.TaskNotWaiting, $"Task '{taskId}' of run '{run.WorkflowId}' is waiting, but its stored request cannot be read; resume the run to ask again.");
        if (wait.TimeoutAt is { } deadline && deadline <= now)
        {
            throw new GleitzeitException(GleitzeitErrorCode.HumanTimeout,
                $"Task '{taskId}' of run '{run.WorkflowId}' waited until {deadline.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC (timeout " +
                $"{Seconds(wait.Request.Timeout)}): its on_timeout ({wait.Request.OnTimeout}) has decided, so this answer is not recorded.");
        }
        var request = wait.Request;
        switch (answer.Kind)
        {
            case HumanAnswerKind.Approve or HumanAnswerKind.Reject when request.IsApproval:
                return stored with
                {
                    Status = WorkflowTaskStatus.Completed,
                    Result = HumanRequest.ApprovalResult(answer.Kind == HumanAnswerKind.Approve, answer.By, answer.Comment, now),
                    Error = null,
                    CompletedAt = now,
                };
            case HumanAnswerKind.Respond when !request.IsApproval:
                var problems = request.ValidateInput(answer.Input);
                if (problems.Count > 0)
                {
                    throw new GleitzeitException(GleitzeitErrorCode.HumanInputInvalid,
                        $"The input for task '{taskId}' does not match its schema: {string.Join("; ", problems)}. The task keeps waiting; answer again with a matching value.", null,
                        new System.Text.Json.Nodes.JsonObject { ["problems"] = new System.Text.Json.Nodes.JsonArray(problems.Select(p => (System.Text.Json.Nodes.JsonNode)p).ToArray()), ["schema"] = request.Schema?.DeepClone() });
                }
                return stored with
                {
                    Status = WorkflowTaskStatus.Completed,
                    Result = HumanRequest.InputResult(answer.Input, answer.By, now),
                    Error = null,
                    CompletedAt = now,
                };
            case HumanAnswerKind.Respond:
                throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
                    $"Task '{taskId}' asks for an approval ({request.Method}), not an input: approve or reject it.");
            default:
                throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
                    $"Task '{taskId}' asks for an input ({request.Method}), not an approval: respond to it with a value matching its schema.");
        }
    }

    /// <summary>What a waiting task's timeout decides at <paramref name="now"/>: approved or rejected (completed, with
    /// <c>timed_out: true</c>), or failed with HUMAN_TIMEOUT; null when <paramref name="waiting"/> is no waiting task or its
    /// timeout has not come.</summary>
    public static TaskResult? DecideTimeout(TaskResult waiting, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        if (waiting.Status != WorkflowTaskStatus.Waiting || HumanRequest.FromWaitingResult(waiting.Result) is not { TimeoutAt: { } deadline } wait || deadline > now) return null;
        var request = wait.Request;
        var note = $"nobody decided within {Seconds(request.Timeout)}; on_timeout: {request.OnTimeout}";
        return request.OnTimeout switch
        {
            "approve" or "reject" when request.IsApproval => waiting with
            {
                Status = WorkflowTaskStatus.Completed,
                Result = HumanRequest.ApprovalResult(request.OnTimeout == "approve", null, note, now, timedOut: true),
                Error = null,
                CompletedAt = now,
            },
            _ => waiting with
            {
                Status = WorkflowTaskStatus.Failed,
                Result = null,
                Error = new GleitzeitError(GleitzeitErrorCode.HumanTimeout, $"{(request.IsApproval ? "no approval" : "no input")} within {Seconds(request.Timeout)} (on_timeout: fail)"),
                CompletedAt = now,
            },
        };
    }

    /// <summary>The waiting state of a human task whose attempt (<paramref name="running"/>) returned <paramref name="request"/>
    /// at <paramref name="now"/>: its stored result is the request, when it started waiting and when its timeout decides.</summary>
    public static TaskResult Waiting(TaskResult running, System.Text.Json.Nodes.JsonNode? request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(running);
        var parsed = HumanRequest.FromWaitingResult(request)?.Request
            ?? throw new GleitzeitException(GleitzeitErrorCode.InternalError, $"the human/v1 provider returned no request for task '{running.TaskId}'");
        var timeoutAt = parsed.Timeout is { } t ? now + t : (DateTimeOffset?)null;
        return running with { Status = WorkflowTaskStatus.Waiting, Result = parsed.ToWaitingResult(now, timeoutAt), Error = null, CompletedAt = null };
    }

    /// <summary>When the waiting task's timeout decides, or null (no timeout, or not a waiting task).</summary>
    public static DateTimeOffset? TimeoutAt(TaskResult waiting)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        return waiting.Status == WorkflowTaskStatus.Waiting ? HumanRequest.FromWaitingResult(waiting.Result)?.TimeoutAt : null;
    }

    /// <summary>The stored task, when it is waiting; else the error saying why it cannot be answered.</summary>
    private static TaskResult Waiting(WorkflowRun run, string taskId)
    {
        var waiting = run.Tasks.Values.Where(t => t.Status == WorkflowTaskStatus.Waiting).Select(t => t.TaskId).ToList();
        if (!run.Tasks.TryGetValue(taskId, out var stored))
        {
            var suggestion = waiting.Count > 0
                ? $"; waiting for an answer: {string.Join(", ", waiting)}" + Spelling.DidYouMean(taskId, waiting)
                : "; none of its tasks is waiting for an answer";
            throw new GleitzeitException(GleitzeitErrorCode.TaskNotFound, $"Run '{run.WorkflowId}' has no task '{taskId}'{suggestion}.");
        }
        if (stored.Status == WorkflowTaskStatus.Waiting) return stored;
        var others = waiting.Count > 0 ? $" Waiting for an answer: {string.Join(", ", waiting)}." : "";
        var why = stored.Status switch
        {
            WorkflowTaskStatus.Completed when stored.Result?["decided_at"] is not null =>
                $"it was already answered{(stored.Result?["by"] is { } by ? $" by {by.ToJsonString()}" : "")} at {stored.Result?["decided_at"]}",
            WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped or WorkflowTaskStatus.Cancelled => $"it is {StatusName(stored.Status)}",
            _ => $"it is {StatusName(stored.Status)}: it has not asked yet (its dependencies must finish first)",
        };
        var code = stored.Status == WorkflowTaskStatus.Completed && stored.Result?["decided_at"] is not null
            ? GleitzeitErrorCode.TaskAlreadyAnswered
            : stored.Status == WorkflowTaskStatus.Failed && stored.Error?.Code == GleitzeitErrorCode.HumanTimeout ? GleitzeitErrorCode.HumanTimeout : GleitzeitErrorCode.TaskNotWaiting;
        throw new GleitzeitException(code, $"Task '{taskId}' of run '{run.WorkflowId}' is not waiting for an answer: {why}.{others}");
    }

    private static string StatusName(WorkflowTaskStatus status) => status.ToString().ToLowerInvariant();

    private static string Seconds(TimeSpan? timeout) => timeout is { } t ? $"{t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s" : "no timeout";
}
