using System.CommandLine;
using System.Text.Json.Nodes;
using Gleitzeit.Cli.Configuration;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using YamlDotNet.Core;

namespace Gleitzeit.Cli.Commands;

/// <summary>
/// <c>validate FILE</c>: structure, references and the parameters of every configured protocol, each problem with
/// line:column, exit 2 when there is one. A task whose protocol has no provider configured here (an MCP task when no MCP
/// server is configured) is a warning naming the config key to set, not an error: the file may be meant for a machine
/// that has the server. <c>--strict</c> makes those warnings errors.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "Workflow YAML file." };
        var strict = new Option<bool>("--strict") { Description = "Treat warnings (a task whose provider is not configured here) as errors." };
        var command = new Command("validate", "Check a workflow file without running it; lists every problem with line:column.") { file, strict };
        command.SetHandler(context =>
        {
            var path = context.Parse.GetRequiredValue(file);
            var full = Path.GetFullPath(path);
            var isStrict = context.Parse.GetValue(strict);
            var (workflow, errors, warnings) = Check(context, path, full);
            if (isStrict)
            {
                errors = [.. errors, .. warnings];
                warnings = [];
            }
            var output = context.Output;
            if (output.Json)
            {
                var doc = new JsonObject { ["valid"] = errors.Count == 0, ["file"] = full };
                if (workflow is not null)
                {
                    doc["name"] = workflow.Name;
                    doc["tasks"] = workflow.Tasks.Count;
                }
                doc["errors"] = ToJson(errors);
                doc["warnings"] = ToJson(warnings);
                output.WriteJson(doc);
            }
            else
            {
                foreach (var w in warnings) output.Err.WriteLine("warning: " + Output.Tidy(Describe(w, full)));
                if (warnings.Count > 0)
                {
                    output.Err.WriteLine($"hint: configure the server in the config file ({TerminalText.Sanitize(context.Settings.ConfigFile)}) or the environment; 'gleitzeit validate --strict' treats this as an error.");
                }
                if (workflow is not null && errors.Count == 0)
                {
                    output.Success($"{full}: valid workflow '{workflow.Name}' with {workflow.Tasks.Count} task{(workflow.Tasks.Count == 1 ? "" : "s")}"
                        + (warnings.Count == 0 ? "." : $" ({warnings.Count} warning{(warnings.Count == 1 ? "" : "s")})."));
                }
            }
            if (errors.Count == 0) return Task.FromResult(ExitCodes.Ok);
            throw new CliException(ExitCodes.InvalidInput, $"{full}: {errors.Count} problem{(errors.Count == 1 ? "" : "s")}:", "Fix each problem at its line:column and validate again.")
            {
                Details = errors.Select(e => Describe(e, full)).ToList(),
            };
        });
        return command;
    }

    /// <summary>Loads the file against the configured providers; a missing MCP provider becomes a warning.</summary>
    private static (Workflow? Workflow, List<ValidationError> Errors, List<ValidationError> Warnings) Check(CliContext context, string path, string full)
    {
        try
        {
            return (RunExecution.LoadWorkflow(context, path), [], []);
        }
        catch (YamlException ex)
        {
            return (null, [new ValidationError(GleitzeitErrorCode.ParseError, ex.InnerException?.Message ?? ex.Message, Location: new SourceLocation(full, (int)ex.Start.Line, (int)ex.Start.Column))], []);
        }
        catch (WorkflowValidationException ex)
        {
            // Structure alone (no registry): which protocol each task uses, and the workflow when only providers were missing.
            Workflow? structure = null;
            try
            {
                structure = WorkflowLoader.LoadFile(full);
            }
            catch (WorkflowValidationException)
            {
                // Structural problems: they are among ex.Errors already.
            }
            var errors = new List<ValidationError>();
            var warnings = new List<ValidationError>();
            foreach (var e in ex.Errors)
            {
                if (e.Code == GleitzeitErrorCode.ProviderNotFound && structure?.FindTask(e.TaskId ?? "") is { } task && IsMcp(task.Protocol))
                {
                    warnings.Add(e with { Message = NotConfigured(context.Settings, task) });
                }
                else
                {
                    errors.Add(e);
                }
            }
            return (errors.Count == 0 ? structure : null, errors, warnings);
        }
    }

    private static bool IsMcp(string protocol) => protocol.StartsWith("mcp/", StringComparison.Ordinal) || protocol == "mcp";

    private static string NotConfigured(CliSettings settings, WorkflowTask task) =>
        task.Provider is { } server && settings.McpServers.Count > 0
            ? $"MCP server '{server}' is not configured here (configured: {string.Join(", ", settings.McpServers.Select(s => s.Name))}): set {SettingKeys.McpServers}.{server}.command in the config file"
            : $"no MCP server is configured here, so this {task.Protocol} task cannot run: set {SettingKeys.McpServers}.{task.Provider ?? "NAME"}.command (with args and env) in the config file, or GLEITZEIT_MCP_SERVER_PATH to a server script";

    private static JsonArray ToJson(IEnumerable<ValidationError> errors) => new(errors.Select(e => (JsonNode)new JsonObject
    {
        ["code"] = (int)e.Code,
        ["code_name"] = e.Code.Name(),
        ["message"] = CliVocabulary.Translate(e.Message),
        ["task_id"] = e.TaskId,
        ["field"] = e.Field,
        ["line"] = e.Location?.Line,
        ["column"] = e.Location?.Column,
    }).ToArray());

    /// <summary><c>FILE:LINE:COLUMN: task 'x', field: message [CODE]</c>; the file is the one validated when the error names none.</summary>
    public static string Describe(ValidationError error, string file)
    {
        var location = error.Location is { } l ? $"{l.File ?? file}:{l.Line}:{l.Column}: " : $"{file}: ";
        return location + (error with { Location = null });
    }
}
