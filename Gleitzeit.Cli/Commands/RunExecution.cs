using System.Text.Json.Nodes;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Cli.Commands;

/// <summary>Runs a workflow with progress and reports it: shared by run, workflow submit/resume, task submit and exec.</summary>
internal static class RunExecution
{
    private static readonly TimeSpan HealthCheckLimit = TimeSpan.FromSeconds(10);

    public static Workflow LoadWorkflow(CliContext context, string file)
    {
        if (!File.Exists(file))
        {
            throw Directory.Exists(file)
                ? CliException.Invalid($"{Path.GetFullPath(file)} is a directory, not a workflow file.")
                : CliException.FileNotFound(file, "Workflow file");
        }
        return WorkflowLoader.LoadFile(Path.GetFullPath(file), registry: context.GetServices().Registry);
    }

    /// <summary>Runs to completion in this process and reports. Returns the exit code (0, 4 or 5).</summary>
    public static async Task<int> RunAsync(CliContext context, Workflow workflow, IReadOnlyDictionary<string, JsonNode?> inputs, string? outputFile, bool watch,
        Action<WorkflowRun>? printResults = null, Func<string, string>? taskLabel = null, bool leaveWhenWaiting = false)
    {
        var services = context.GetServices();
        await CheckProvidersAsync(context, workflow).ConfigureAwait(false);
        var progress = new RunProgress(context.Output, watch, workflow.Tasks.Select(t => t.Id), taskLabel, HumanCommands.AnswerHint(context));
        Action<WorkflowEvent> onEvent = progress.OnEvent;
        if (leaveWhenWaiting)
        {
            // --detach: once nothing can run until a person answers, stop here; the engine leaves the run stored waiting
            // (its lease released), and whoever answers continues it.
            var engine = services.Engine;
            onEvent = evt =>
            {
                progress.OnEvent(evt);
                if (evt is WorkflowWaiting) _ = Task.Run(async () => await engine.DisposeAsync().ConfigureAwait(false));
            };
        }
        var options = new RunOptions { Inputs = inputs, OnEvent = onEvent };
        // No cancellation token: a signal interrupts the run (FollowAsync), it does not cancel it.
        var work = services.Engine.RunAsync(workflow, options, CancellationToken.None);
        var run = await FollowAsync(context, services.Engine, work, progress).ConfigureAwait(false);
        return await ReportAsync(context, run, outputFile, printResults).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for a run of this process. Stopping is not cancelling: the first SIGINT/SIGTERM disposes the engine, which
    /// leaves the run interrupted (completed tasks kept, the rest pending, its lease released) to be resumed; a second one
    /// cancels it for good once it is interrupted.
    /// </summary>
    public static async Task<WorkflowRun> FollowAsync(CliContext context, ExecutionEngine engine, Task<WorkflowRun> work, RunProgress? progress = null)
    {
        using var interrupt = context.CancellationToken.Register(static state =>
        {
            var (ctx, e) = ((CliContext, ExecutionEngine))state!;
            _ = Task.Run(async () =>
            {
                ctx.Output.Err.WriteLine("Stopping: the run is left interrupted (completed tasks are kept); press Ctrl+C again to cancel it for good.");
                await e.DisposeAsync().ConfigureAwait(false);
            });
        }, (context, engine));
        var run = progress is not null && context.Output.Rich ? await LiveRunView.ShowAsync(progress, work).ConfigureAwait(false) : await work.ConfigureAwait(false);
        if (run.Status == WorkflowStatus.Interrupted && context.Insisted.IsCancellationRequested)
        {
            await engine.CancelAsync(run.WorkflowId, CancellationToken.None).ConfigureAwait(false);
            run = await engine.GetRunAsync(run.WorkflowId, CancellationToken.None).ConfigureAwait(false) ?? run;
        }
        return run;
    }

    /// <summary>Before anything runs: every provider the workflow needs answers its health check, else exit 4 with the fix.</summary>
    public static async Task CheckProvidersAsync(CliContext context, Workflow workflow)
    {
        var registry = context.GetServices().Registry;
        var needed = new Dictionary<string, ProviderRegistration>(StringComparer.Ordinal);
        foreach (var task in workflow.Tasks)
        {
            try
            {
                var (registration, _) = registry.Resolve(task);
                needed.TryAdd(registration.Id, registration);
            }
            catch (GleitzeitException)
            {
                // Reported by the engine's validation with the task that names it.
            }
        }
        foreach (var registration in needed.Values)
        {
            var health = await CheckHealthAsync(registration, context.CancellationToken).ConfigureAwait(false);
            if (health.Status == ProviderHealthStatus.Unhealthy)
            {
                var code = health.Details?["error_code"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var name)
                    ? Enum.GetValues<GleitzeitErrorCode>().Cast<GleitzeitErrorCode?>().FirstOrDefault(c => c!.Value.Name() == name)
                    : null;
                throw new CliException(ExitCodes.ProviderError,
                    $"Provider '{registration.Id}' ({registration.Protocol.Id}) is not available: {health.Message}",
                    code is { } c && !IsUnreachable(c) ? HintForProviderError(c, registration.Protocol.Name, null) : FixFor(registration.Protocol.Name));
            }
        }
    }

    public static async Task<ProviderHealth> CheckHealthAsync(ProviderRegistration registration, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(HealthCheckLimit);
        try
        {
            return await registration.Provider.CheckHealthAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ProviderHealth.Unhealthy($"no answer to the health check within {HealthCheckLimit.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ProviderHealth.Unhealthy(ex.Message);
        }
    }

    public static string FixFor(string protocolName) => protocolName switch
    {
        "llm" => "Start Ollama ('ollama serve', then 'ollama pull MODEL'), or point providers.ollama.url / GLEITZEIT_OLLAMA_URL at a running server.",
        "python" => "Install python3, or set providers.python.interpreter / GLEITZEIT_PYTHON to a Python 3 interpreter.",
        "mcp" => "Check the server's command, args and env under providers.mcp.servers (or GLEITZEIT_MCP_SERVER_PATH).",
        _ => "Check the provider's configuration with 'gleitzeit provider health'.",
    };

    /// <summary>Codes that mean the provider was not reached at all (as opposed to answering with an error).</summary>
    private static bool IsUnreachable(GleitzeitErrorCode code) =>
        code is GleitzeitErrorCode.ProviderNotAvailable or GleitzeitErrorCode.ProviderUnhealthy or GleitzeitErrorCode.NetworkConnectionFailed;

    private static string HintForProviderError(GleitzeitErrorCode code, string protocolName, string? runId) => code switch
    {
        GleitzeitErrorCode.ProviderAuthenticationFailed => protocolName == "llm"
            ? "Something between gleitzeit and Ollama wants credentials (Ollama has none of its own): check that providers.ollama.url / GLEITZEIT_OLLAMA_URL is the right server and that its proxy lets this client in."
            : "The provider refused the credentials: check the credentials or headers its configuration passes.",
        GleitzeitErrorCode.ProviderInvalidResponse => protocolName == "llm"
            ? "The server did not answer as Ollama does: check that providers.ollama.url / GLEITZEIT_OLLAMA_URL points at Ollama, not another service; --debug shows more."
            : "The provider's answer could not be read: check its version; --debug shows more.",
        GleitzeitErrorCode.ModelNotFound => "Install the model the message names, or name an installed one with --model / providers.ollama.default_model.",
        _ => runId is null
            ? "The provider reported the error above: its own log says more."
            : $"The provider reported the error above: its own log says more. See every task with 'gleitzeit workflow status {runId}'.",
    };

    /// <summary>Prints the finished run (JSON, or results as text), writes <paramref name="outputFile"/>, and returns the exit code;
    /// a failed run throws a <see cref="CliException"/> naming each failed task.</summary>
    public static async Task<int> ReportAsync(CliContext context, WorkflowRun run, string? outputFile, Action<WorkflowRun>? printResults = null)
    {
        var json = JsonShapes.Run(run);
        if (outputFile is not null)
        {
            var full = Path.GetFullPath(outputFile);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, Output.ToJsonText(json) + Environment.NewLine, context.CancellationToken).ConfigureAwait(false);
        }
        var output = context.Output;
        if (output.Json) output.WriteJson(json);
        else
        {
            if (printResults is not null) printResults(run);
            else
            {
                foreach (var task in run.Tasks.Values.Where(t => t.Status == WorkflowTaskStatus.Completed))
                {
                    output.Heading($"── {task.TaskId} ──");
                    output.Line(JsonShapes.Describe(task.Result));
                }
                output.Line();
            }
            var summary = $"{run.Name}: {JsonShapes.Lower(run.Status)} in {JsonShapes.Duration(run.Duration)} (run id {run.WorkflowId})";
            if (run.Status == WorkflowStatus.Completed) output.Success(summary);
            else output.Line(summary);
            if (outputFile is not null) output.Line($"results written to {Path.GetFullPath(outputFile)}");
        }

        switch (run.Status)
        {
            case WorkflowStatus.Completed:
                return ExitCodes.Ok;
            case WorkflowStatus.Waiting:
                if (!output.Json)
                {
                    var waiting = run.Tasks.Values.Where(t => t.Status == WorkflowTaskStatus.Waiting).Select(t => t.TaskId).ToList();
                    output.Line($"Run {run.WorkflowId} is stored waiting for a person ({string.Join(", ", waiting)}); answer with the command printed above, from any shell.");
                    output.Line($"'gleitzeit workflow status {run.WorkflowId}' shows it; 'gleitzeit workflow list --status waiting' lists every waiting run.");
                }
                return context.SignalExitCode ?? ExitCodes.Ok;
            case WorkflowStatus.Cancelled:
                throw new CliException(context.SignalExitCode ?? ExitCodes.General, $"Run {run.WorkflowId} was cancelled.",
                    "A cancelled run is not resumed: start the workflow again with 'gleitzeit run FILE'.");
            case WorkflowStatus.Interrupted:
                var done = run.Tasks.Values.Count(t => t.Status == WorkflowTaskStatus.Completed);
                throw new CliException(context.SignalExitCode ?? ExitCodes.General,
                    $"Run {run.WorkflowId} was interrupted: {done} of {run.Tasks.Count} tasks completed, the others are pending.",
                    $"Continue it with 'gleitzeit workflow resume {run.WorkflowId}' (completed tasks are not run again), or cancel it for good with 'gleitzeit workflow cancel {run.WorkflowId}'.");
        }
        if (run.Error is { Code: GleitzeitErrorCode.PersistenceWriteFailed } storeError)
        {
            throw new CliException(ExitCodes.General, $"Run {run.WorkflowId} failed: the store could not be written ({storeError.CodeName}): {storeError.Message}",
                $"Free space (or make the store writable), then continue it with 'gleitzeit workflow resume {run.WorkflowId}': what was stored is kept, the rest runs again.");
        }
        var failed = run.Tasks.Values.Where(t => t.Status == WorkflowTaskStatus.Failed).ToList();
        var details = failed.Select(t => $"task '{t.TaskId}': {t.Error?.CodeName}: {t.Error?.Message}").ToList();
        if (failed.Count == 0 && run.Error is { } runError) details.Add($"{runError.CodeName}: {runError.Message}");
        var providerFailure = failed.FirstOrDefault(t => t.Error is { } e && ErrorReporter.ExitCodeOf(e.Code) == ExitCodes.ProviderError);
        if (providerFailure?.Error is { } providerError)
        {
            var protocol = run.Workflow?.FindTask(providerFailure.TaskId)?.Protocol.Split('/')[0] ?? "";
            if (IsUnreachable(providerError.Code))
            {
                throw new CliException(ExitCodes.ProviderError, $"Run {run.WorkflowId} failed: a provider could not be reached.", FixFor(protocol)) { Details = details };
            }
            // The provider answered, with an error: say which, and do not send the user off to start a server that runs.
            throw new CliException(ExitCodes.ProviderError,
                $"Run {run.WorkflowId} failed: the provider of task '{providerFailure.TaskId}' answered with an error ({providerError.CodeName}).",
                HintForProviderError(providerError.Code, protocol, run.WorkflowId))
            { Details = details };
        }
        throw new CliException(ExitCodes.TaskFailed,
            $"Run {run.WorkflowId} failed: {failed.Count} task{(failed.Count == 1 ? "" : "s")} failed.", $"See every task with 'gleitzeit workflow status {run.WorkflowId}'.")
        { Details = details };
    }
}
