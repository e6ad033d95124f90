using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Cost;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>cache stats|clear [--workflow NAME]</c>: the result cache of the configured store.</summary>
internal static class CacheCommand
{
    public static Command Create()
    {
        var group = new Command("cache", "Inspect or clear the result cache (tasks with 'cache:') of the configured store.");
        group.Add(CreateStats());
        group.Add(CreateClear());
        return group;
    }

    private static Option<string?> WorkflowOption() => new("--workflow", "-n") { Description = "Only the entries stored by tasks of the workflow with this name.", HelpName = "NAME" };

    private static Command CreateStats()
    {
        var workflow = WorkflowOption();
        var command = new Command("stats", "How many entries the result cache holds, their size, and per workflow.") { workflow };
        command.SetHandler(async context =>
        {
            var services = context.GetServices();
            var cache = services.Services.GetRequiredService<ITaskResultCache>();
            var name = context.Parse.GetValue(workflow);
            var stats = await cache.GetStatisticsAsync(name, TimeProvider.System.GetUtcNow(), context.CancellationToken).ConfigureAwait(false);
            var output = context.Output;
            if (output.Json)
            {
                var by = new JsonObject();
                foreach (var (w, n) in stats.ByWorkflow.OrderBy(kv => kv.Key, StringComparer.Ordinal)) by[w] = n;
                output.WriteJson(new JsonObject
                {
                    ["store"] = context.Settings.Backend,
                    ["workflow"] = name,
                    ["entries"] = stats.Entries,
                    ["expired"] = stats.Expired,
                    ["bytes"] = stats.Bytes,
                    ["by_workflow"] = by,
                });
                return ExitCodes.Ok;
            }
            output.Line($"result cache in {services.StoreDescription}{(name is null ? "" : $", workflow '{name}'")}:");
            output.Line($"  entries: {stats.Entries.ToString(CultureInfo.InvariantCulture)}   size: {Size(stats.Bytes)}   expired (not served): {stats.Expired.ToString(CultureInfo.InvariantCulture)}");
            if (stats.ByWorkflow.Count > 0)
            {
                output.Table(["workflow", "entries"], stats.ByWorkflow.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => (IReadOnlyList<string>)[kv.Key, kv.Value.ToString(CultureInfo.InvariantCulture)]));
            }
            if (context.Settings.Backend == "memory") output.Line("(the memory backend keeps no cache between gleitzeit processes: use sqlite or redis to share it)");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateClear()
    {
        var workflow = WorkflowOption();
        var command = new Command("clear", "Remove the result cache's entries (all, or one workflow's): the next runs call their providers again.") { workflow };
        command.SetHandler(async context =>
        {
            var cache = context.GetServices().Services.GetRequiredService<ITaskResultCache>();
            var name = context.Parse.GetValue(workflow);
            var removed = await cache.ClearAsync(name, context.CancellationToken).ConfigureAwait(false);
            if (context.Output.Json) context.Output.WriteJson(new JsonObject { ["workflow"] = name, ["removed"] = removed });
            else context.Output.Line($"Removed {removed.ToString(CultureInfo.InvariantCulture)} cache entr{(removed == 1 ? "y" : "ies")}{(name is null ? "" : $" of workflow '{name}'")}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes / (1024.0 * 1024):0.0} MiB",
    };
}
