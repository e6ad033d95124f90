using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>A task state in the form the tables hold it, prepared on the caller's thread.</summary>
internal readonly record struct TaskRow
{
    public TaskRow(TaskResult task, DateTimeOffset now)
    {
        TaskId = task.TaskId;
        Status = StatusNames.Of(task.Status);
        Result = task.Result?.ToJsonString();
        Error = Json(task.Error);
        Attempts = task.Attempts;
        StartedAt = Ticks(task.StartedAt);
        CompletedAt = Ticks(task.CompletedAt);
        EventAt = (task.CompletedAt ?? task.StartedAt ?? now).UtcTicks;
        Loop = task.Iteration > 0 || task.History.Count > 0
            ? new System.Text.Json.Nodes.JsonObject { ["iteration"] = task.Iteration, ["history"] = Core.Persistence.StoreJson.ToJson(task.History) }.ToJsonString()
            : null;
    }

    public string TaskId { get; }
    public string Status { get; }
    public string? Result { get; }
    public string? Error { get; }
    public int Attempts { get; }
    public object? StartedAt { get; }
    public object? CompletedAt { get; }
    public long EventAt { get; }
    /// <summary>A loop task's iteration and history as JSON; null for other tasks.</summary>
    public string? Loop { get; }

    public static object? Ticks(DateTimeOffset? time) => time?.UtcTicks;

    public static string? Json(GleitzeitError? error) => error?.ToJson().ToJsonString();
}
