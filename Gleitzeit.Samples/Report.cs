using Gleitzeit.Core;

namespace Gleitzeit.Samples;

/// <summary>How a sample ends: the run's status, and each failed task's error.</summary>
internal static class Report
{
    public static int Outcome(WorkflowRun run)
    {
        Console.WriteLine($"{run.Name}: {run.Status.ToString().ToLowerInvariant()}");
        foreach (var task in run.Tasks.Values.Where(t => t.Error is not null)) Console.Error.WriteLine($"  {task.TaskId}: {task.Error}");
        return run.Status == WorkflowStatus.Completed ? 0 : 1;
    }
}
