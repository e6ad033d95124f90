namespace Gleitzeit.Core;

/// <summary>
/// The names to subscribe to Gleitzeit's traces and metrics, e.g.
/// <c>tracing.AddSource(GleitzeitDiagnostics.SourceName)</c> and <c>metrics.AddMeter(GleitzeitDiagnostics.MeterName)</c>
/// with the OpenTelemetry SDK. See docs/hosting.md for every span, attribute and instrument.
/// </summary>
public static class GleitzeitDiagnostics
{
    /// <summary>
    /// The <see cref="System.Diagnostics.ActivitySource"/> of runs (<c>gleitzeit.workflow NAME</c>), task attempts
    /// (<c>gleitzeit.task METHOD</c>) and LLM calls (<c>chat MODEL</c>, with the <c>gen_ai.*</c> attributes).
    /// </summary>
    public const string SourceName = "Gleitzeit";

    /// <summary>
    /// The <see cref="System.Diagnostics.Metrics.Meter"/> of <c>gleitzeit.task.duration</c>, <c>gleitzeit.workflow.duration</c>,
    /// <c>gleitzeit.tasks.active</c>, <c>gleitzeit.tasks.queued</c>, <c>gleitzeit.llm.tokens</c> and the task counters.
    /// </summary>
    public const string MeterName = "Gleitzeit";
}
