namespace Gleitzeit.Core;

/// <summary>When a task with several dependencies may run (YAML <c>join:</c>).</summary>
public enum JoinMode
{
    /// <summary>Every dependency completed (the default). A dependency that failed or was skipped skips the task too.</summary>
    All,

    /// <summary>Every dependency finished and at least one completed; references to a dependency that did not complete resolve to <c>null</c>.</summary>
    Any,
}
