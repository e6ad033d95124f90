using System.CommandLine;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core.Batch;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>batch DIR</c>: one LLM task per file, with a progress bar and a report.</summary>
internal static class BatchCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("DIR") { Description = "Directory of files to process." };
        var pattern = new Option<string?>("--pattern") { Description = "Glob of files to take; several separated by ';' (** recurses). Default: *.txt, or the image types with --vision." };
        var prompt = new Option<string>("--prompt") { Description = "Prompt applied to each file.", DefaultValueFactory = _ => "Summarize this document." };
        var model = new Option<string?>("--model", "-m") { Description = "Model (default: providers.ollama.default_model, or vision_model with --vision)." };
        var vision = new Option<bool>("--vision") { Description = "Files are images for a vision model (llm/vision)." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to this file (format from --format).", HelpName = "FILE" };
        var format = new Option<string>("--format") { Description = "Report format: json or markdown.", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "markdown");
        var concurrency = new Option<int?>("--concurrency", "-c") { Description = "Files processed at once (default: batch.max_concurrent)." };
        var resume = new Option<string?>("--resume") { Description = "Process only the files that did not succeed in this earlier batch (its batch id).", HelpName = "BATCH_ID" };
        var followLinks = new Option<bool>("--follow-links") { Description = "Follow symbolic links that lead out of DIR (links inside DIR are always followed; loops are detected)." };
        var command = new Command("batch", "Run one LLM task per file of a directory and report every result.")
        {
            directory, pattern, prompt, model, vision, output, format, concurrency, resume, followLinks,
        };
        command.SetHandler(async context =>
        {
            var dir = context.Parse.GetRequiredValue(directory);
            if (!Directory.Exists(dir)) throw CliException.FileNotFound(dir, "Directory");
            if (context.Parse.GetValue(concurrency) is < 1) throw CliException.Invalid("--concurrency must be at least 1.");
            var isVision = context.Parse.GetValue(vision);
            var request = new BatchRequest
            {
                Directory = Path.GetFullPath(dir),
                Pattern = context.Parse.GetValue(pattern) ?? (isVision ? null : "*.txt"),
                Prompt = context.Parse.GetValue(prompt),
                Model = context.Parse.GetValue(model),
                Vision = isVision,
                MaxConcurrent = context.Parse.GetValue(concurrency),
                ResumeFrom = context.Parse.GetValue(resume),
                FollowExternalLinks = context.Parse.GetValue(followLinks),
            };
            var processor = context.GetServices().Services.GetRequiredService<BatchProcessor>();
            // Like run and task submit: a provider that cannot answer is one error (exit 4) before any file is read or sent.
            await RunExecution.CheckProvidersAsync(context,
                processor.CreateBatchWorkflow([Path.Combine(request.Directory, "pre-flight")], isVision ? "llm/vision" : "llm/chat")).ConfigureAwait(false);
            BatchResult result;
            try
            {
                result = await RunWithProgressAsync(context, processor, request).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                throw CliException.Invalid(ex.Message);
            }

            var report = context.Parse.GetValue(format) == "markdown" ? result.ToMarkdown() : result.ToJson();
            if (context.Parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file, report, context.CancellationToken).ConfigureAwait(false);
            }
            if (context.Json) context.Output.Out.WriteLine(result.ToJson());
            else Summarize(context, result, context.Parse.GetValue(output));

            if (result.Failed == 0) return ExitCodes.Ok;
            throw FailureOf(result, dir);
        });
        return command;
    }

    /// <summary>
    /// Exit 5 naming the failed files (three, then "and N more") and each distinct error once with the files that had it,
    /// so a hundred files failing the same way make one line, not a hundred copies of the message.
    /// </summary>
    internal static CliException FailureOf(BatchResult result, string dir)
    {
        const int Shown = 3;
        var failed = result.Files.Where(f => f.Status == BatchFileStatus.Failed).ToList();
        var message = $"{failed.Count} of {result.TotalFiles} files failed in batch {result.BatchId}: {Names(failed.Select(f => f.Path).ToList(), Shown)}.";
        var groups = failed.GroupBy(f => f.Error ?? "(no error recorded)", StringComparer.Ordinal).ToList();
        var details = groups.Take(Shown).Select(g => $"{Names(g.Select(f => f.Path).ToList(), Shown)}: {g.Key}").ToList();
        if (groups.Count > Shown)
        {
            var rest = groups.Skip(Shown).Sum(g => g.Count());
            details.Add($"and {rest} more file{(rest == 1 ? "" : "s")} with {groups.Count - Shown} other error{(groups.Count - Shown == 1 ? "" : "s")} (see the report, or --json)");
        }
        return new CliException(ExitCodes.TaskFailed, message, $"Process only those again with 'gleitzeit batch {dir} --resume {result.BatchId}'.") { Details = details };
    }

    private static string Names(IReadOnlyList<string> paths, int shown)
    {
        var names = string.Join(", ", paths.Take(shown).Select(Path.GetFileName));
        return paths.Count > shown ? $"{names} and {paths.Count - shown} more" : names;
    }

    private static async Task<BatchResult> RunWithProgressAsync(CliContext context, BatchProcessor processor, BatchRequest request)
    {
        if (context.Json) return await processor.ProcessBatchAsync(request, null, context.CancellationToken).ConfigureAwait(false);
        if (!context.Output.Rich)
        {
            return await processor.ProcessBatchAsync(request, new SynchronousProgress(p => context.Output.Line($"{p.Done}/{p.Total} done, {p.Failed} failed, {p.Elapsed.TotalSeconds:0.0}s elapsed")), context.CancellationToken).ConfigureAwait(false);
        }
        BatchResult? result = null;
        await AnsiConsole.Progress().AutoClear(false).StartAsync(async ctx =>
        {
            var bar = ctx.AddTask("files", maxValue: 1);
            var progress = new SynchronousProgress(p =>
            {
                bar.MaxValue = Math.Max(1, p.Total);
                bar.Value = p.Done;
                bar.Description = $"files ({p.Failed} failed" + (p.EstimatedRemaining is { } eta ? $", ~{eta.TotalSeconds:0}s left)" : ")");
            });
            result = await processor.ProcessBatchAsync(request, progress, context.CancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return result!;
    }

    private static void Summarize(CliContext context, BatchResult result, string? outputFile)
    {
        context.Output.Table(["file", "status", "duration", "response / error"], result.Files.Select(f => (IReadOnlyList<string>)
        [
            Path.GetFileName(f.Path),
            f.Status == BatchFileStatus.Success ? "success" : "failed",
            $"{f.Duration.TotalMilliseconds:0}ms",
            Output.Clip(f.Status == BatchFileStatus.Success ? f.Response : f.Error),
        ]));
        context.Output.Line($"batch {result.BatchId}: {result.Successful}/{result.TotalFiles} succeeded in {result.Duration.TotalSeconds:0.0}s"
            + (outputFile is null ? "" : $"; report written to {outputFile}"));
    }

    /// <summary>Reports on the reporting thread, one at a time: <see cref="Progress{T}"/> would post to the thread pool and print out of order.</summary>
    private sealed class SynchronousProgress(Action<BatchProgress> handler) : IProgress<BatchProgress>
    {
        private readonly Lock _gate = new();

        public void Report(BatchProgress value)
        {
            lock (_gate) handler(value);
        }
    }
}
