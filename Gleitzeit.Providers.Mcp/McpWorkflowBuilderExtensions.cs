using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Definitions;

/// <summary>Adds MCP tool calls to a <see cref="WorkflowBuilder"/>.</summary>
public static class McpWorkflowBuilderExtensions
{
    /// <summary>
    /// Adds a task calling the MCP tool <paramref name="tool"/> (method <c>mcp/tool.TOOL</c>) with <paramref name="arguments"/>
    /// (a <see cref="JsonObject"/>, an anonymous object or a dictionary; <c>${...}</c> references allowed).
    /// <paramref name="server"/> picks the configured server; without it the tool name must be unique across servers.
    /// </summary>
    [RequiresUnreferencedCode("Object arguments are serialized by reflection; use the overload taking a JsonObject under trimming.")]
    [RequiresDynamicCode("Object arguments are serialized by reflection; use the overload taking a JsonObject under Native AOT.")]
    public static WorkflowBuilder McpTool(this WorkflowBuilder builder, string id, string tool, object? arguments = null, string? server = null,
        IEnumerable<string>? dependsOn = null, Action<TaskBuilder>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tool);
        var parameters = WorkflowBuilder.ToJson(arguments) switch
        {
            null => new JsonObject(),
            JsonObject obj => obj,
            var other => throw new ArgumentException($"Arguments of MCP tool '{tool}' must be an object (named arguments), not {other.GetValueKind()}.", nameof(arguments)),
        };
        return builder.McpTool(id, tool, parameters, server, dependsOn, configure);
    }

    /// <summary>
    /// Adds a task calling the MCP tool <paramref name="tool"/> with <paramref name="arguments"/> (copied; null for none;
    /// <c>${...}</c> references allowed): no reflection, so safe under trimming and Native AOT.
    /// </summary>
    public static WorkflowBuilder McpTool(this WorkflowBuilder builder, string id, string tool, JsonObject? arguments, string? server = null,
        IEnumerable<string>? dependsOn = null, Action<TaskBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(tool);
        var parameters = (JsonObject?)arguments?.DeepClone() ?? new JsonObject();
        return builder.AddTask(id, "mcp/tool." + tool, parameters, t =>
        {
            if (server is not null) t.WithProvider(server);
            if (dependsOn is not null) t.DependsOn([.. dependsOn]);
            configure?.Invoke(t);
        });
    }
}
