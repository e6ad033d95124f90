namespace Gleitzeit.Core;

/// <summary>What a <c>loop</c> task does when its <c>until</c> condition never held within <see cref="TaskLoop.MaxIterations"/> (YAML <c>on_exhausted:</c>).</summary>
public enum LoopExhaustedAction
{
    /// <summary>The task fails with <see cref="GleitzeitErrorCode.TaskLoopExhausted"/> (the default).</summary>
    Fail,

    /// <summary>The task completes with the last iteration's result.</summary>
    Complete,
}
