using System.CommandLine;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>batch DIR</c>: one LLM task per file, with a progress bar and a report.</summary>
internal static class BatchCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("DIR") { Description = "Directory of files to process." };
        var pattern = new Option<string>("--pattern") { Description = "Glob of files to take (** recurses).", DefaultValueFactory = _ => "*.txt" };
        var prompt = new Option<string>("--prompt") { Description = "Prompt applied to each file.", DefaultValueFactory = _ => "Summarize this document." };
        var model = new Option<string?>("--model", "-m") { Description = "Model (default: providers.ollama.default_model, or vision_model with --vision)." };
        var vision = new Option<bool>("--vision") { Description = "Files are images for a vision model." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to this file (format from --format).", HelpName = "FILE" };
        var format = new Option<string>("--format") { Description = "Report format: json or markdown.", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "markdown");
        var concurrency = new Option<int?>("--concurrency", "-c") { Description = "Files processed at once (default: batch.max_concurrent)." };
        var command = new Command("batch", "Run one LLM task per file of a directory and report every result.")
        {
            directory, pattern, prompt, model, vision, output, format, concurrency,
        };
        command.SetHandler(context =>
        {
            var dir = context.Parse.GetRequiredValue(directory);
            if (!Directory.Exists(dir)) throw CliException.FileNotFound(dir, "Directory");
            throw new CliException(ExitCodes.General, "batch is not available in this build: the BatchProcessor of Gleitzeit.Core is not implemented yet.",
                "Until it lands, a workflow with a batch task (batch_mode: true) can be run with 'gleitzeit run'.");
        });
        return command;
    }
}
