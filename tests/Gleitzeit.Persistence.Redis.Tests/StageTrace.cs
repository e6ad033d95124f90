using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Pipeline;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>
/// Test middleware that writes what it saw into the task's result (<c>trace</c>), so a run's stored results show the
/// path of each attempt wherever it ran: the telemetry activity around it, whether references were resolved before
/// it, the order of middleware, and how the inner stages ended.
/// </summary>
internal sealed class StageTrace(string name) : ITaskMiddleware
{
    private const string Key = "stage-trace";

    // The telemetry stage starts its activity only when someone listens: listen in every process that uses this,
    // from before the first attempt (a static constructor runs before Pair() does).
    private static readonly ActivityListener Listener;

    static StageTrace() => Listener = Listen();

    public static ITaskMiddleware[] Pair() => [new StageTrace("outer"), new StageTrace("inner")];

    public async ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
    {
        GC.KeepAlive(Listener);
        if (!context.Properties.TryGetValue(Key, out var value) || value is not List<string> trace) context.Properties[Key] = trace = [];
        trace.Add($"{name}> activity={Activity.Current?.OperationName} resolved={context.ParametersResolved} values={context.Parameters["values"]?.ToJsonString()}");
        var outcome = await next(context);
        trace.Add($"{name}< {outcome.Kind} {(outcome.Result as JsonObject)?["n"]}");
        if (name != "outer" || !outcome.IsCompleted || outcome.Result is not JsonObject result) return outcome;
        var traced = (JsonObject)result.DeepClone();
        traced["trace"] = new JsonArray(trace.Select(t => (JsonNode?)t).ToArray());
        return TaskOutcome.Completed(traced);
    }

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Gleitzeit",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
