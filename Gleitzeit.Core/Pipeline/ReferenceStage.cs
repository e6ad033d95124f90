using System.Text.Json.Nodes;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// Replaces every <c>${...}</c> in the parameters with the value it names: a completed task's result from
/// <see cref="TaskContext.Results"/>, or a run input. A provider that renders references its own way (Python) is
/// asked through <see cref="Protocol.ITaskProvider.GetService"/> for its <see cref="IReferenceRenderer"/>.
/// </summary>
internal sealed class ReferenceStage : ITaskMiddleware
{
    public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
    {
        if (context.HasReferences)
        {
            try
            {
                var renderer = context.Provider.GetService(typeof(IReferenceRenderer)) as IReferenceRenderer;
                context.Parameters = ReferenceResolver.Resolve(context.Parameters, context, Lookup, context.Task.Method, renderer);
            }
            catch (GleitzeitException ex)
            {
                return ValueTask.FromResult(TaskOutcome.Failed(ex.ToError(), ex.RetryAfter));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A renderer's own failure (the provider's code): the task cannot run, as if the provider had failed.
                return ValueTask.FromResult(TaskOutcome.Failed(new GleitzeitError(GleitzeitErrorCode.TaskExecutionFailed, $"{ex.GetType().Name}: {ex.Message}")));
            }
        }
        context.ParametersResolved = true;
        return next(context);
    }

    /// <summary>The value one reference names; throws <see cref="GleitzeitException"/> saying what is missing.</summary>
    internal static JsonNode? Lookup(TaskContext context, Reference reference)
    {
        // A loop task reads its own iteration and the previous iteration's result (null at the first).
        if (context.Task.Loop is not null && !context.Results.ContainsKey(reference.Root))
        {
            switch (reference.Root)
            {
                case Conditions.TaskConditions.IterationRoot:
                    if (reference.Path.Count > 0) throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"{reference}: ${{iteration}} is a number and has no fields");
                    return Conditions.TaskConditions.IterationValue(Math.Max(1, context.Iteration));
                case Conditions.TaskConditions.PreviousRoot:
                    return context.PreviousIteration is null ? null : ReferenceResolver.Navigate(context.PreviousIteration, reference.Path, reference.Root);
            }
        }
        return Conditions.TaskConditions.ResolveReference(context.Task, reference, context.Results, context.Inputs);
    }
}
