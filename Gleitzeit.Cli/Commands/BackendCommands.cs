using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>backend get-stats|get-results-by-workflow|purge</c>: the store.</summary>
internal static class BackendCommands
{
    public static Command Create()
    {
        var group = new Command("backend", "Inspect and maintain the store where runs are kept.");

        var stats = new Command("get-stats", "Counts of runs and tasks by status, and mean durations.");
        stats.SetHandler(async context =>
        {
            var services = context.GetServices();
            var s = await services.Store.GetStatisticsAsync(context.CancellationToken).ConfigureAwait(false);
            var usage = await UsageAsync(services.Store, context.CancellationToken).ConfigureAwait(false);
            var output = context.Output;
            if (output.Json)
            {
                var json = StatsJson(services.Settings.Backend, services.StoreDescription, s);
                json["tokens"] = usage.ToJson();
                output.WriteJson(json);
                return ExitCodes.Ok;
            }
            output.Line($"store: {services.StoreDescription}");
            output.Line($"runs: {s.TotalRuns}   tasks: {s.TotalTasks}   mean run: {JsonShapes.Duration(s.AverageRunDuration)}   mean task: {JsonShapes.Duration(s.AverageTaskDuration)}");
            if (s.TotalRuns == 0) return ExitCodes.Ok;
            if (usage.Total.Calls > 0)
            {
                output.Line(JsonShapes.UsageLine(usage)!);
                output.Table(["model", "calls", "prompt tokens", "completion tokens", "total tokens"],
                    usage.ByModel.Select(kv => (IReadOnlyList<string>)[kv.Key, kv.Value.Calls.ToString(CultureInfo.InvariantCulture),
                        kv.Value.PromptTokens.ToString(CultureInfo.InvariantCulture), kv.Value.CompletionTokens.ToString(CultureInfo.InvariantCulture),
                        kv.Value.TotalTokens.ToString(CultureInfo.InvariantCulture)]));
            }
            output.Table(["kind", "status", "count"],
                s.RunsByStatus.Select(kv => (IReadOnlyList<string>)["runs", JsonShapes.Lower(kv.Key), kv.Value.ToString(CultureInfo.InvariantCulture)])
                .Concat(s.TasksByStatus.Select(kv => (IReadOnlyList<string>)["tasks", JsonShapes.Lower(kv.Key), kv.Value.ToString(CultureInfo.InvariantCulture)])));
            return ExitCodes.Ok;
        });
        group.Add(stats);

        var name = new Argument<string>("NAME") { Description = "Workflow name (as in its YAML 'name')." };
        var byWorkflow = new Command("get-results-by-workflow", "Task results of every run of a workflow, newest run first.") { name };
        byWorkflow.SetHandler(async context =>
        {
            var workflowName = context.Parse.GetRequiredValue(name);
            var results = await context.GetServices().Store.GetResultsByWorkflowNameAsync(workflowName, context.CancellationToken).ConfigureAwait(false);
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(new JsonObject
                {
                    ["workflow_name"] = workflowName,
                    ["results"] = new JsonArray(results.Select(r => (JsonNode)JsonShapes.Task(r.WorkflowId, r.WorkflowName, r.Task)).ToArray()),
                });
                return ExitCodes.Ok;
            }
            if (results.Count == 0)
            {
                output.Line($"No results for workflow '{workflowName}'.");
                return ExitCodes.Ok;
            }
            output.Table(["run", "task", "status", "result / error"],
                results.Select(r => (IReadOnlyList<string>)[r.WorkflowId, r.Task.TaskId, JsonShapes.Lower(r.Task.Status),
                    r.Task.Error is { } e ? $"{e.CodeName}: {Output.Tidy(e.Message)}" : Output.Clip(JsonShapes.Describe(r.Task.Result))]));
            return ExitCodes.Ok;
        });
        group.Add(byWorkflow);

        var olderThan = new Option<string>("--older-than") { Description = "Age of finished runs to remove: 7d, 12h, 30m, 2w, 1d12h.", Required = true, HelpName = "AGE" };
        var purge = new Command("purge", "Remove finished runs (completed, failed, cancelled) that ended longer ago than --older-than.") { olderThan };
        purge.SetHandler(async context =>
        {
            var age = Arguments.ParseAge(context.Parse.GetRequiredValue(olderThan), "--older-than");
            var cutoff = DateTimeOffset.UtcNow - age;
            var removed = await context.GetServices().Store.PurgeAsync(cutoff, context.CancellationToken).ConfigureAwait(false);
            if (context.Output.Json) context.Output.WriteJson(new JsonObject { ["purged"] = removed, ["older_than"] = JsonShapes.Time(cutoff) });
            else context.Output.Line($"Removed {removed} run{(removed == 1 ? "" : "s")} that ended before {WorkflowCommands.Local(cutoff)}.");
            return ExitCodes.Ok;
        });
        group.Add(purge);
        return group;
    }

    /// <summary>Tokens spent by every stored run, by model: the sum of each run's <see cref="WorkflowRun.Usage"/>, read a page of runs at a time.</summary>
    private static async Task<RunUsage> UsageAsync(IWorkflowStore store, CancellationToken cancellationToken)
    {
        const int page = 200;
        var total = TokenUsage.Zero;
        var byModel = new SortedDictionary<string, TokenUsage>(StringComparer.Ordinal);
        for (var offset = 0; ; offset += page)
        {
            var runs = await store.ListRunsAsync(new RunQuery { Limit = page, Offset = offset }, cancellationToken).ConfigureAwait(false);
            foreach (var summary in runs)
            {
                if (await store.GetRunAsync(summary.WorkflowId, cancellationToken).ConfigureAwait(false) is not { } run) continue;
                var usage = run.Usage;
                total = total.Add(usage.Total);
                foreach (var (model, u) in usage.ByModel) byModel[model] = byModel.TryGetValue(model, out var sum) ? sum.Add(u) : u;
            }
            if (runs.Count < page) break;
        }
        return new RunUsage(total, byModel);
    }

    public static JsonObject StatsJson(string backend, string description, StoreStatistics s) => new()
    {
        ["backend"] = backend,
        ["store"] = description,
        ["total_runs"] = s.TotalRuns,
        ["runs_by_status"] = new JsonObject(s.RunsByStatus.Select(kv => KeyValuePair.Create(JsonShapes.Lower(kv.Key), (JsonNode?)kv.Value))),
        ["total_tasks"] = s.TotalTasks,
        ["tasks_by_status"] = new JsonObject(s.TasksByStatus.Select(kv => KeyValuePair.Create(JsonShapes.Lower(kv.Key), (JsonNode?)kv.Value))),
        ["average_run_duration_ms"] = JsonShapes.Milliseconds(s.AverageRunDuration),
        ["average_task_duration_ms"] = JsonShapes.Milliseconds(s.AverageTaskDuration),
    };
}
