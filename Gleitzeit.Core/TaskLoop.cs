namespace Gleitzeit.Core;

/// <summary>
/// Runs a task again while <see cref="Until"/> is false (YAML <c>loop: { until, max_iterations, on_exhausted }</c>).
/// In <see cref="Until"/>, <c>${self.…}</c> is the latest iteration's result, <c>${previous.…}</c> the one before
/// (<c>null</c> at first) and <c>${iteration}</c> its number (1-based); the task's parameters may read
/// <c>${iteration}</c> and <c>${previous.…}</c>. Every iteration is kept in <see cref="TaskResult.History"/>.
/// </summary>
public sealed record TaskLoop
{
    /// <summary>The condition that ends the loop, checked after each iteration, e.g. <c>${self.score} >= 8</c>.</summary>
    public required string Until { get; init; }

    /// <summary>Most iterations (at least 1).</summary>
    public int MaxIterations { get; init; } = 10;

    /// <summary>What happens when <see cref="MaxIterations"/> pass without <see cref="Until"/> holding.</summary>
    public LoopExhaustedAction OnExhausted { get; init; } = LoopExhaustedAction.Fail;
}
