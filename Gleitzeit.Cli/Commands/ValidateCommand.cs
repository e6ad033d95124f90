using System.CommandLine;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using YamlDotNet.Core;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>validate FILE</c>: every problem with line:column, exit 2 when there is one.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "Workflow YAML file." };
        var command = new Command("validate", "Check a workflow file without running it; lists every problem with line:column.") { file };
        command.SetHandler(context =>
        {
            var path = context.Parse.GetRequiredValue(file);
            var full = Path.GetFullPath(path);
            IReadOnlyList<ValidationError> errors;
            Workflow? workflow = null;
            try
            {
                workflow = RunExecution.LoadWorkflow(context, path);
                errors = [];
            }
            catch (WorkflowValidationException ex)
            {
                errors = ex.Errors;
            }
            catch (YamlException ex)
            {
                errors = [new ValidationError(GleitzeitErrorCode.ParseError, ex.InnerException?.Message ?? ex.Message, Location: new SourceLocation(full, (int)ex.Start.Line, (int)ex.Start.Column))];
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
                doc["errors"] = new JsonArray(errors.Select(e => (JsonNode)new JsonObject
                {
                    ["code"] = (int)e.Code,
                    ["code_name"] = e.Code.Name(),
                    ["message"] = e.Message,
                    ["task_id"] = e.TaskId,
                    ["field"] = e.Field,
                    ["line"] = e.Location?.Line,
                    ["column"] = e.Location?.Column,
                }).ToArray());
                output.WriteJson(doc);
            }
            else if (workflow is not null)
            {
                output.Success($"{full}: valid workflow '{workflow.Name}' with {workflow.Tasks.Count} task{(workflow.Tasks.Count == 1 ? "" : "s")}.");
            }
            if (errors.Count == 0) return Task.FromResult(ExitCodes.Ok);
            throw new CliException(ExitCodes.InvalidInput, $"{full}: {errors.Count} problem{(errors.Count == 1 ? "" : "s")}:", "Fix each problem at its line:column and validate again.")
            {
                Details = errors.Select(e => Describe(e, full)).ToList(),
            };
        });
        return command;
    }

    /// <summary><c>FILE:LINE:COLUMN: task 'x', field: message [CODE]</c>; the file is the one validated when the error names none.</summary>
    public static string Describe(ValidationError error, string file)
    {
        var location = error.Location is { } l ? $"{l.File ?? file}:{l.Line}:{l.Column}: " : $"{file}: ";
        return location + (error with { Location = null });
    }
}
