namespace Gleitzeit.Providers.Python;

/// <summary>How <c>python/execute</c> tasks are separated from each other.</summary>
public enum PythonIsolation
{
    /// <summary>
    /// Warm, long-lived workers that fork a child for every execution: each execution starts from the same clean
    /// interpreter state (fresh globals, no module an earlier task imported, builtins untouched), and cannot reach the
    /// worker's protocol channel. On Windows, which has no fork, the code runs in the worker itself.
    /// </summary>
    Pool,

    /// <summary>A fresh python3 worker for every task, at the cost of an interpreter start per task.</summary>
    Process,
}
