namespace Gleitzeit.Core.Pipeline;

/// <summary>Checks the resolved parameters against the method's parameter specs: a value from another task may not fit.</summary>
internal sealed class ValidationStage : ITaskMiddleware
{
    public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
    {
        var problems = context.Method.Validate(context.Parameters);
        if (problems.Count > 0)
        {
            return ValueTask.FromResult(TaskOutcome.Failed(new GleitzeitError(GleitzeitErrorCode.TaskValidationFailed, string.Join("; ", problems))));
        }
        return next(context);
    }
}
