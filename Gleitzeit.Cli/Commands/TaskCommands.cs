using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Cli.Configuration;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>task submit|list|result</c>.</summary>
internal static class TaskCommands
{
    public static Command Create()
    {
        var group = new Command("task", "Run a single task, and look up task results.");
        group.Add(CreateSubmit());
        group.Add(CreateList());
        group.Add(CreateResult());
        return group;
    }

    private static Command CreateSubmit()
    {
        var method = new Argument<string>("METHOD") { Description = "Method to call: llm/chat, llm/generate, llm/vision, llm/embed, python/execute, tool.NAME, ..." };
        var parameters = new Option<string[]>("--param", "-p") { Description = "Parameter NAME=VALUE (repeatable); JSON values keep their type.", HelpName = "NAME=VALUE", Arity = ArgumentArity.ZeroOrMore };
        var model = new Option<string?>("--model", "-m") { Description = "Model for llm methods (default: the chosen provider's default model)." };
        var messages = new Option<string?>("--messages") { Description = "Chat messages as JSON: [{\"role\":\"user\",\"content\":\"...\"}]." };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (one user message)." };
        var provider = new Option<string?>("--provider") { Description = "Configured provider instance to use: an LLM provider (ollama, openai) or an MCP server name." };
        var timeout = new Option<int?>("--timeout") { Description = "Limit for the task in seconds." };
        var output = new Option<string?>("--output", "-o") { Description = "Also write the run's JSON to this file.", HelpName = "FILE" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Print streamed tokens as they arrive (plain output)." };
        var command = new Command("submit", "Run one task (a one-task workflow) to completion and print its result.")
        {
            method, parameters, model, messages, prompt, provider, timeout, output, watch,
        };
        command.SetHandler(async context =>
        {
            var name = context.Parse.GetRequiredValue(method);
            var values = new JsonObject();
            foreach (var (k, v) in Arguments.ParsePairs(context.Parse.GetValue(parameters), "--param")) values[k] = v;
            if (context.Parse.GetValue(messages) is { } json)
            {
                if (Arguments.JsonDepth(json) is > Arguments.MaxJsonDepth and var depth)
                {
                    throw CliException.Invalid($"--messages is nested {depth} levels deep; at most {Arguments.MaxJsonDepth} are supported.",
                        "Pass a list of {\"role\",\"content\"} objects.");
                }
                try
                {
                    values["messages"] = JsonNode.Parse(json) as JsonArray ?? throw new JsonException("not a list");
                }
                catch (JsonException ex)
                {
                    throw CliException.Invalid($"--messages must be a JSON list of {{\"role\",\"content\"}} objects: {ex.Message}",
                        "For example: --messages '[{\"role\":\"user\",\"content\":\"Hello\"}]'");
                }
            }
            if (context.Parse.GetValue(prompt) is { } text) values["prompt"] = text;
            var isLlm = name.StartsWith("llm/", StringComparison.Ordinal);
            if (context.Parse.GetValue(model) is { } m) values["model"] = m;
            // Another LLM provider (openai, ...) takes its own default model; Ollama's applies only to Ollama.
            else if (isLlm && !values.ContainsKey("model") && context.Parse.GetValue(provider) is null or "ollama")
            {
                values["model"] = context.Settings.Get(name switch { "llm/vision" => SettingKeys.OllamaVisionModel, "llm/embed" => SettingKeys.OllamaEmbeddingModel, _ => SettingKeys.OllamaDefaultModel });
            }
            var seconds = context.Parse.GetValue(timeout);
            if (seconds is <= 0) throw CliException.Invalid("--timeout must be at least 1 second.");
            var services = context.GetServices();
            var workflow = new WorkflowBuilder("task " + name)
                .WithBaseDirectory(Environment.CurrentDirectory)
                .AddTask("task", name, values, t =>
                {
                    if (context.Parse.GetValue(provider) is { } p) t.WithProvider(p);
                    if (seconds is { } s) t.WithTimeout(TimeSpan.FromSeconds(s));
                })
                .Build();
            WorkflowValidator.EnsureValid(workflow, services.Registry, "task submit");
            // Progress lines name the one task by its method ("llm/chat started"), not "task task started".
            return await RunExecution.RunAsync(context, workflow, new Dictionary<string, JsonNode?>(), context.Parse.GetValue(output), context.Parse.GetValue(watch),
                taskLabel: _ => name).ConfigureAwait(false);
        });
        return command;
    }

    private static Command CreateList()
    {
        var workflow = new Option<string?>("--workflow") { Description = "Only tasks of this run id." };
        var status = new Option<string[]>("--status", "-s") { Description = "Only tasks in these states.", Arity = ArgumentArity.ZeroOrMore };
        status.AcceptOnlyFromAmong(Enum.GetNames<WorkflowTaskStatus>().Select(n => n.ToLowerInvariant()).ToArray());
        var limit = new Option<int>("--limit") { Description = "Most runs to look through, newest first.", DefaultValueFactory = _ => 20 };
        var command = new Command("list", "List tasks of recent runs with their state.") { workflow, status, limit };
        command.SetHandler(async context =>
        {
            var store = context.GetServices().Store;
            var wanted = (context.Parse.GetValue(status) ?? []).Select(s => Enum.Parse<WorkflowTaskStatus>(s, ignoreCase: true)).ToHashSet();
            var runs = new List<WorkflowRun>();
            if (context.Parse.GetValue(workflow) is { } id)
            {
                runs.Add(await store.GetRunAsync(id, context.CancellationToken).ConfigureAwait(false)
                    ?? throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{id}' in the {context.Settings.Backend} store."));
            }
            else
            {
                foreach (var summary in await store.ListRunsAsync(new RunQuery { Limit = Math.Max(1, context.Parse.GetValue(limit)) }, context.CancellationToken).ConfigureAwait(false))
                {
                    try
                    {
                        if (await store.GetRunAsync(summary.WorkflowId, context.CancellationToken).ConfigureAwait(false) is { } run) runs.Add(run);
                    }
                    catch (Exception ex) when (ex is GleitzeitException or JsonException or FormatException or InvalidOperationException or ArgumentException or KeyNotFoundException)
                    {
                        // One damaged run must not hide the others: it is named on stderr and left out.
                        context.Output.Err.WriteLine($"warning: run {TerminalText.Sanitize(summary.WorkflowId)} could not be read and is left out: {Output.Tidy(ex.Message)}");
                    }
                }
            }
            var rows = runs.SelectMany(r => r.Tasks.Values.Where(t => wanted.Count == 0 || wanted.Contains(t.Status)).Select(t => (Run: r, Task: t))).ToList();
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(new JsonObject { ["tasks"] = new JsonArray(rows.Select(x => (JsonNode)JsonShapes.Task(x.Run.WorkflowId, x.Run.Name, x.Task)).ToArray()) });
                return ExitCodes.Ok;
            }
            if (rows.Count == 0)
            {
                output.Line("No tasks found.");
                return ExitCodes.Ok;
            }
            output.Table(
                [new Column("task"), new Column("run"), new Column("workflow", ColumnKind.Text), new Column("status"), new Column("attempts", ColumnKind.Optional, RightAligned: true), new Column("time", ColumnKind.Optional, RightAligned: true)],
                rows.Select(x => (IReadOnlyList<string>)[x.Task.TaskId, x.Run.WorkflowId, x.Run.Name, JsonShapes.Lower(x.Task.Status),
                    x.Task.Attempts.ToString(CultureInfo.InvariantCulture), JsonShapes.Duration(x.Task.Duration)]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateResult()
    {
        var id = new Argument<string>("TASK_ID") { Description = "Task id (the newest run with a task of that id is used unless --workflow is given)." };
        var workflow = new Option<string?>("--workflow") { Description = "Run id the task belongs to." };
        var command = new Command("result", "Print a task's result.") { id, workflow };
        command.SetHandler(async context =>
        {
            var taskId = context.Parse.GetRequiredValue(id);
            var stored = await context.GetServices().Store.GetTaskResultAsync(taskId, context.Parse.GetValue(workflow), context.CancellationToken).ConfigureAwait(false)
                ?? throw new GleitzeitException(GleitzeitErrorCode.TaskNotFound, $"No task '{taskId}' in the {context.Settings.Backend} store.");
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(JsonShapes.Task(stored.WorkflowId, stored.WorkflowName, stored.Task));
                return ExitCodes.Ok;
            }
            var t = stored.Task;
            output.Heading($"{t.TaskId} ({stored.WorkflowName}, run {stored.WorkflowId}): {JsonShapes.Lower(t.Status)}");
            if (t.Error is { } e) output.Line($"error: {e.CodeName}: {Output.Tidy(e.Message)}");
            if (t.Result is not null) output.Line(Output.ToJsonText(t.Result));
            return ExitCodes.Ok;
        });
        return command;
    }
}
