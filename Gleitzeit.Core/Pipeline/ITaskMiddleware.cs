namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// A stage of the <see cref="TaskPipeline"/> that every attempt of every task goes through, in the engine and in a
/// Redis worker alike. Register one with <c>builder.UseTaskMiddleware&lt;T&gt;()</c>; middleware runs in registration
/// order, after reference resolution and parameter validation (it sees the resolved parameters) and before the
/// timeout and the provider call (so it can answer without calling <c>next</c>, as a cache does).
/// </summary>
/// <remarks>
/// Return an outcome instead of throwing: an exception (other than cancellation of
/// <see cref="TaskContext.CancellationToken"/>) becomes a failed attempt with INTERNAL_ERROR naming this middleware.
/// Instances are shared by all attempts and run concurrently: keep per-attempt state in
/// <see cref="TaskContext.Properties"/>.
/// </remarks>
public interface ITaskMiddleware
{
    /// <summary>Runs this stage; call <paramref name="next"/> (at most once, usually) to run the stages after it.</summary>
    ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next);
}
