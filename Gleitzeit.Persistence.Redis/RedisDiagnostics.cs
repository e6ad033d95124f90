using System.Diagnostics;
using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Redis;

/// <summary>This package's side of <see cref="GleitzeitDiagnostics.SourceName"/>: the span of a submitted run.</summary>
internal static class RedisDiagnostics
{
    private static readonly ActivitySource Source = new(GleitzeitDiagnostics.SourceName, typeof(RedisDiagnostics).Assembly.GetName().Version?.ToString());

    /// <summary>The <c>gleitzeit.workflow NAME</c> span of a run submitted to the queue, a child of the caller's activity; null when nobody listens.</summary>
    public static Activity? StartRun(string name, string id)
    {
        if (!Source.HasListeners()) return null;
        var activity = Source.StartActivity("gleitzeit.workflow " + name, ActivityKind.Producer);
        activity?.SetTag("gleitzeit.workflow.id", id);
        activity?.SetTag("gleitzeit.workflow.name", name);
        activity?.SetTag("gleitzeit.workflow.queue", "redis");
        return activity;
    }
}
