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
        Cached = task.Cached ? 1 : 0;
    }

    public string TaskId { get; }
    public string Status { get; }
    public string? Result { get; }
    public string? Error { get; }
    public int Attempts { get; }
    public object? StartedAt { get; }
    public object? CompletedAt { get; }
    public long EventAt { get; }
    public int Cached { get; }

    public static object? Ticks(DateTimeOffset? time) => time?.UtcTicks;

    public static string? Json(GleitzeitError? error) => error?.ToJson().ToJsonString();
}
