using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Dashboard.Api;
using Microsoft.AspNetCore.Http;

namespace Gleitzeit.Dashboard.Live;

/// <summary>
/// <c>GET api/runs/{id}/events</c>: server-sent events of one run. First <c>snapshot</c> (the run's graph document), then
/// <c>update</c> (the run's fields and the nodes that changed), <c>progress</c> (a running task's streamed tokens and
/// lines) and, once the run finished, <c>end</c>. Changes come from the runner owning the run as they happen; a run that no
/// runner here streams (executed by another process over the same store) is re-read every
/// <see cref="DashboardOptions.StorePollInterval"/>. A client that disconnects ends its subscription at once.
/// </summary>
internal static class RunEventStream
{
    public static async Task ServeAsync(string id, HttpContext http, DashboardContext dashboard)
    {
        if (RunIds.Problem("run id", id) is { } problem)
        {
            await ApiErrors.BadRequest(problem).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        var ct = http.RequestAborted;
        var run = await dashboard.ReadRunAsync(id, ct).ConfigureAwait(false);
        if (run is null)
        {
            await ApiErrors.NotFound(id).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache, no-store";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        dashboard.StreamOpened();
        try
        {
            var stream = new Sender(http.Response);
            var graph = RunDocuments.Graph(run);
            var sent = new Sent(NodeStates(graph), RunFields(graph).ToJsonString());
            await stream.SendAsync("snapshot", graph, ct).ConfigureAwait(false);
            while (!run.IsFinished)
            {
                var runner = await dashboard.RunnerForAsync(id, ct).ConfigureAwait(false);
                if (runner is not null) run = await FollowAsync(runner, id, run, stream, sent, dashboard, ct).ConfigureAwait(false);
                run = await dashboard.ReadRunAsync(id, ct).ConfigureAwait(false) ?? run;
                await SendChangesAsync(run, stream, sent, ct).ConfigureAwait(false);
                if (run.IsFinished) break;
                // Nobody here streams this run: it executes in another process, which writes its transitions to the store.
                await Task.Delay(dashboard.Options.StorePollInterval, dashboard.Time, ct).ConfigureAwait(false);
            }
            await stream.SendAsync("end", new JsonObject { ["status"] = RunDocuments.Lower(run.Status) }, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away: the subscription ended with the enumeration.
        }
        finally
        {
            dashboard.StreamClosed();
        }
    }

    /// <summary>Forwards the runner's events until its stream ends; consecutive transitions are sent as one update.</summary>
    private static async Task<WorkflowRun> FollowAsync(IWorkflowRunner runner, string id, WorkflowRun run, Sender stream, Sent sent,
        DashboardContext dashboard, CancellationToken ct)
    {
        var events = Channel.CreateUnbounded<WorkflowEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pump = PumpAsync(runner, id, events.Writer, stop.Token);
        try
        {
            while (await events.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                var changed = false;
                while (events.Reader.TryRead(out var evt))
                {
                    if (evt is TaskProgress progress)
                    {
                        await stream.SendAsync("progress", new JsonObject { ["task_id"] = progress.TaskId, ["kind"] = progress.Kind.ToString().ToLowerInvariant(), ["text"] = progress.Text }, ct).ConfigureAwait(false);
                    }
                    else
                    {
                        changed = true;
                    }
                }
                if (!changed) continue;
                run = await dashboard.ReadRunAsync(id, ct).ConfigureAwait(false) ?? run;
                await SendChangesAsync(run, stream, sent, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }
        return run;
    }

    private static async Task PumpAsync(IWorkflowRunner runner, string id, ChannelWriter<WorkflowEvent> writer, CancellationToken ct)
    {
        try
        {
            await foreach (var evt in runner.WatchAsync(id, ct).ConfigureAwait(false)) await writer.WriteAsync(evt, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ended by the reader.
        }
        catch (GleitzeitException)
        {
            // The run vanished (purged) or its runner failed: the caller re-reads the store and carries on from there.
        }
        writer.TryComplete();
    }

    private static async Task SendChangesAsync(WorkflowRun run, Sender stream, Sent sent, CancellationToken ct)
    {
        var graph = RunDocuments.Graph(run);
        var now = NodeStates(graph);
        var runFields = RunFields(graph);
        var runState = runFields.ToJsonString();
        if (!now.Keys.ToHashSet(StringComparer.Ordinal).SetEquals(sent.Nodes.Keys))
        {
            // New nodes (tasks stored by a newer engine): the page lays the graph out again.
            sent.Nodes = now;
            sent.Run = runState;
            await stream.SendAsync("snapshot", graph, ct).ConfigureAwait(false);
            return;
        }
        var changed = new JsonArray();
        foreach (var node in graph["nodes"]!.AsArray())
        {
            var nodeId = (string)node!["id"]!;
            if (sent.Nodes[nodeId] != now[nodeId]) changed.Add(node.DeepClone());
        }
        if (changed.Count == 0 && sent.Run == runState) return;
        sent.Nodes = now;
        sent.Run = runState;
        await stream.SendAsync("update", new JsonObject { ["run"] = runFields, ["nodes"] = changed }, ct).ConfigureAwait(false);
    }

    /// <summary>What the client was last sent: each node's state, and the run's own fields.</summary>
    private sealed class Sent(Dictionary<string, string> nodes, string run)
    {
        public Dictionary<string, string> Nodes { get; set; } = nodes;

        public string Run { get; set; } = run;
    }

    private static JsonObject RunFields(JsonObject graph)
    {
        var fields = new JsonObject();
        foreach (var (key, value) in graph)
        {
            if (key != "nodes") fields[key] = value?.DeepClone();
        }
        return fields;
    }

    private static Dictionary<string, string> NodeStates(JsonObject graph) =>
        graph["nodes"]!.AsArray().ToDictionary(n => (string)n!["id"]!, n => n!.ToJsonString(), StringComparer.Ordinal);

    /// <summary>Writes events in the text/event-stream format, one flush per event.</summary>
    private sealed class Sender(HttpResponse response)
    {
        public async Task SendAsync(string name, JsonNode data, CancellationToken ct)
        {
            // JSON on one line: a newline inside a string is escaped, so it can never end the event early.
            var text = $"event: {name}\ndata: {data.ToJsonString()}\n\n";
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
            await response.Body.FlushAsync(ct).ConfigureAwait(false);
        }
    }
}
