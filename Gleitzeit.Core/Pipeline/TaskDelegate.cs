namespace Gleitzeit.Core.Pipeline;

/// <summary>The rest of the task pipeline, as a middleware sees it: call it to run the stages after yours.</summary>
public delegate ValueTask<TaskOutcome> TaskDelegate(TaskContext context);
