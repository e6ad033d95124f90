using System.CommandLine;
using System.Globalization;
using Gleitzeit.Cli.Configuration;
using Gleitzeit.Persistence.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>worker</c>: claims tasks from the Redis work queue until stopped.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var concurrency = new Option<int?>("--concurrency", "-c") { Description = "Most tasks this worker runs at once (default: execution.max_concurrent_tasks)." };
        var command = new Command("worker", "Run a worker that executes queued tasks of detached runs (redis backend) until Ctrl+C.") { concurrency };
        command.SetHandler(async context =>
        {
            if (context.Parse.GetValue(concurrency) is { } n) context.Override(SettingKeys.MaxConcurrentTasks, n.ToString(CultureInfo.InvariantCulture), "--concurrency");
            if (context.Settings.Backend != "redis")
            {
                throw CliException.Invalid($"A worker needs the redis backend; the configured backend is {context.Settings.Backend}.",
                    "Set persistence.backend: redis in config.yaml, GLEITZEIT_PERSISTENCE_BACKEND=redis, or pass --backend redis.");
            }
            var slots = context.Settings.GetInt(SettingKeys.MaxConcurrentTasks);
            var services = context.GetWorkerServices(slots);
            var worker = services.Services.GetRequiredService<GleitzeitWorker>();
            var providers = string.Join(", ", services.Registry.Providers.Select(p => p.Protocol.Id));
            context.Output.Line($"worker {worker.ConsumerName} on {services.StoreDescription}: up to {slots} tasks at once ({providers}); Ctrl+C stops it.");
            context.Output.Out.Flush();
            try
            {
                await worker.RunAsync(context.CancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                // Ctrl+C: the worker handed its tasks back to the queue.
            }
            context.Output.Line($"worker {worker.ConsumerName} stopped.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
