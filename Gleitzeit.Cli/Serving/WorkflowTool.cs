using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gleitzeit.Core;

namespace Gleitzeit.Cli.Serving;

/// <summary>
/// One workflow file offered as an MCP tool: its name is the workflow's name, its input schema has one property per
/// <c>inputs:</c> entry, typed after the default value (a null default: any type, and required).
/// </summary>
internal sealed partial class WorkflowTool
{
    private WorkflowTool(string name, string file, Workflow workflow, JsonObject schema, IReadOnlyDictionary<string, JsonValueKind?> types)
    {
        Name = name;
        File = file;
        Workflow = workflow;
        InputSchema = schema;
        Types = types;
    }

    public string Name { get; }

    public string File { get; }

    public Workflow Workflow { get; }

    public JsonObject InputSchema { get; }

    /// <summary>Each input's expected JSON kind (null: any).</summary>
    private IReadOnlyDictionary<string, JsonValueKind?> Types { get; }

    public string Description =>
        (Workflow.Description is { Length: > 0 } d ? d.Trim() + " " : "") +
        $"Runs the Gleitzeit workflow '{Workflow.Name}' ({Workflow.Tasks.Count} task{(Workflow.Tasks.Count == 1 ? "" : "s")}: {string.Join(", ", Workflow.Tasks.Take(8).Select(t => t.Id))}{(Workflow.Tasks.Count > 8 ? ", ..." : "")}) from {Path.GetFileName(File)}.";

    /// <summary>A valid MCP tool name: letters, digits, <c>_ - .</c>, at most 128 characters.</summary>
    public static bool IsValidName(string name) => ToolName().IsMatch(name);

    /// <summary>The name with every character a tool name cannot have replaced by <c>_</c>.</summary>
    public static string Sanitize(string name)
    {
        var cleaned = Regex.Replace(name, "[^A-Za-z0-9_.-]", "_");
        return cleaned.Length == 0 ? "workflow" : cleaned.Length > 128 ? cleaned[..128] : cleaned;
    }

    public static WorkflowTool Create(string name, string file, Workflow workflow)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        var types = new Dictionary<string, JsonValueKind?>(StringComparer.Ordinal);
        foreach (var (input, value) in workflow.Inputs)
        {
            var kind = value?.GetValueKind();
            var property = new JsonObject();
            var type = kind switch
            {
                JsonValueKind.String => "string",
                JsonValueKind.Number => value!.AsValue().ToJsonString().Contains('.', StringComparison.Ordinal) || value.AsValue().ToJsonString().Contains('e', StringComparison.OrdinalIgnoreCase) ? "number" : "integer",
                JsonValueKind.True or JsonValueKind.False => "boolean",
                JsonValueKind.Array => "array",
                JsonValueKind.Object => "object",
                _ => null,
            };
            if (type is not null) property["type"] = type;
            if (value is not null) property["default"] = value.DeepClone();
            property["description"] = value is null
                ? $"Workflow input '{input}' (no default: required)."
                : $"Workflow input '{input}' (default {value.ToJsonString()}).";
            if (value is null) required.Add(input);
            properties[input] = property;
            types[input] = kind is JsonValueKind.True or JsonValueKind.False ? JsonValueKind.True : kind;
        }
        var schema = new JsonObject { ["type"] = "object", ["properties"] = properties, ["additionalProperties"] = false };
        if (required.Count > 0) schema["required"] = required;
        return new WorkflowTool(name, file, workflow, schema, types);
    }

    /// <summary>The run's inputs from the call's arguments, or the problem (an unknown input, a value of the wrong type, a missing one).</summary>
    public (Dictionary<string, JsonNode?> Inputs, string? Problem) BindArguments(IDictionary<string, JsonElement>? arguments)
    {
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments ?? new Dictionary<string, JsonElement>())
        {
            if (!Types.TryGetValue(name, out var expected))
            {
                var known = Types.Count == 0 ? "it takes none" : "its inputs are " + string.Join(", ", Types.Keys);
                return (inputs, $"'{Name}' has no input '{name}': {known}.");
            }
            var actual = value.ValueKind is JsonValueKind.False ? JsonValueKind.True : value.ValueKind;
            if (expected is { } kind && actual != kind && !(kind == JsonValueKind.Number && actual == JsonValueKind.Number))
            {
                return (inputs, $"Input '{name}' of '{Name}' must be {InputSchema["properties"]![name]!["type"]}, not {value.ValueKind.ToString().ToLowerInvariant()}.");
            }
            inputs[name] = JsonNode.Parse(value.GetRawText());
        }
        foreach (var missing in Types.Keys.Where(k => Workflow.Inputs[k] is null && !inputs.ContainsKey(k)))
        {
            return (inputs, $"Input '{missing}' of '{Name}' is required (it has no default).");
        }
        return (inputs, null);
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,128}$")]
    private static partial Regex ToolName();
}
