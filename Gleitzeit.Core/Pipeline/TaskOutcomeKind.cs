namespace Gleitzeit.Core.Pipeline;

/// <summary>How a task attempt ended. The default value (0) is no outcome: the pipeline treats it as a middleware's bug.</summary>
public enum TaskOutcomeKind
{
    /// <summary>The attempt produced a result.</summary>
    Completed = 1,

    /// <summary>The attempt failed with a <see cref="GleitzeitError"/>; whether it is retried is the retry decision's call.</summary>
    Failed,

    /// <summary>The run was cancelled (or its worker is stopping) while the attempt ran.</summary>
    Cancelled,

    /// <summary>
    /// The attempt did not start its call (a provider's rate limit): the task is queued again after
    /// <see cref="TaskOutcome.RetryAfter"/>, holding no slot meanwhile, and the attempt does not count.
    /// </summary>
    Deferred,
}
