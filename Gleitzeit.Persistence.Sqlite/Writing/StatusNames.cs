using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Persistence.Sqlite.Writing;

/// <summary>Status names as stored (<see cref="StoreJson.StatusName(WorkflowTaskStatus)"/>), without an allocation per write.</summary>
internal static class StatusNames
{
    private static readonly string[] Tasks = Enum.GetValues<WorkflowTaskStatus>().Select(StoreJson.StatusName).ToArray();
    private static readonly string[] Runs = Enum.GetValues<WorkflowStatus>().Select(StoreJson.StatusName).ToArray();

    public static string Of(WorkflowTaskStatus status) => Tasks[(int)status];

    public static string Of(WorkflowStatus status) => Runs[(int)status];
}
