using System.CommandLine;
using System.Text.Json.Nodes;
using Gleitzeit.Cli.Configuration;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>exec CODE</c>: python/execute of inline code.</summary>
internal static class ExecCommand
{
    public static Command Create()
    {
        var code = new Argument<string>("CODE") { Description = "Python code; the value left in variable 'result' is the result." };
        var timeout = new Option<int?>("--timeout", "-t") { Description = "Limit in seconds (default: providers.python.timeout)." };
        var command = new Command("exec", "Run Python code (python/execute) and print its output and result.") { code, timeout };
        command.SetHandler(async context =>
        {
            var seconds = context.Parse.GetValue(timeout) ?? context.Settings.GetInt(SettingKeys.PythonTimeout);
            if (seconds < 1) throw CliException.Invalid("--timeout must be at least 1 second.");
            var services = context.GetServices();
            var workflow = new WorkflowBuilder("exec")
                .WithBaseDirectory(Environment.CurrentDirectory)
                .AddTask("exec", "python/execute", new JsonObject { ["code"] = context.Parse.GetRequiredValue(code), ["timeout"] = seconds },
                    t => t.WithTimeout(TimeSpan.FromSeconds(seconds + 5)).WithRetry(RetryPolicy.None))
                .Build();
            WorkflowValidator.EnsureValid(workflow, services.Registry, "exec");
            return await RunExecution.RunAsync(context, workflow, new Dictionary<string, JsonNode?>(), null, watch: false, printResults: run =>
            {
                // What the code printed is shown whether it finished or raised: a failed task carries it in its error's data.
                var state = run.Tasks.TryGetValue("exec", out var t) ? t : null;
                var produced = state?.Result as JsonObject ?? state?.Error?.Data as JsonObject;
                if (produced?["output"] is JsonValue stdout && stdout.TryGetValue<string>(out var text) && text.Length > 0) context.Output.Block(text);
                if (state?.Error is not null && produced?["stderr"] is JsonValue stderr && stderr.TryGetValue<string>(out var errText) && errText.Length > 0) context.Output.ErrBlock(errText);
                if (state?.Result?["result"] is { } value) context.Output.Line("result: " + Output.ToJsonText(value));
            }).ConfigureAwait(false);
        });
        return command;
    }
}
