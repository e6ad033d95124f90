using System.CommandLine;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>worker</c>: claims tasks from the Redis work queue until stopped.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var concurrency = new Option<int?>("--concurrency", "-c") { Description = "Most tasks this worker runs at once (default: execution.max_concurrent_tasks)." };
        var command = new Command("worker", "Run a worker that executes queued tasks of detached runs (redis backend) until Ctrl+C.") { concurrency };
        command.SetHandler(context =>
        {
            if (context.Parse.GetValue(concurrency) is { } n) context.Override(Configuration.SettingKeys.MaxConcurrentTasks, n.ToString(System.Globalization.CultureInfo.InvariantCulture), "--concurrency");
            if (context.Settings.Backend != "redis")
            {
                throw CliException.Invalid($"A worker needs the redis backend; the configured backend is {context.Settings.Backend}.",
                    "Set persistence.backend: redis in config.yaml, GLEITZEIT_PERSISTENCE_BACKEND=redis, or pass --backend redis.");
            }
            throw new CliException(ExitCodes.General, "Distributed workers are not available in this build of gleitzeit (the Redis package has none yet).");
        });
        return command;
    }
}
