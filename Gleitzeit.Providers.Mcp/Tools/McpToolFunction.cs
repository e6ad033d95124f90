using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Llm;
using Gleitzeit.Providers.Mcp.Sessions;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;

namespace Gleitzeit.Providers.Mcp.Tools;

/// <summary>
/// One tool of a configured MCP server as a function a model may call (an <c>llm/*</c> task's <c>tools</c>). Calls go
/// through the server's session (its connection, reconnects and bound), like <c>tool.NAME</c> tasks.
/// </summary>
internal sealed class McpToolFunction(McpServerSession session, Tool tool) : AIFunction
{
    private readonly JsonElement _schema = tool.InputSchema.ValueKind == JsonValueKind.Object ? tool.InputSchema.Clone() : JsonDocument.Parse("{\"type\":\"object\"}").RootElement.Clone();

    public override string Name => tool.Name;

    public override string Description => tool.Description ?? "";

    public override JsonElement JsonSchema => _schema;

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var args = new JsonObject();
        foreach (var (name, value) in arguments)
        {
            args[name] = value switch
            {
                null => null,
                JsonElement e => JsonNode.Parse(e.GetRawText()),
                JsonNode n => n.DeepClone(),
                string s => JsonValue.Create(s),
                bool b => JsonValue.Create(b),
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                double d => JsonValue.Create(d),
                _ => JsonValue.Create(value.ToString()),
            };
        }
        var result = await session.CallToolAsync(tool.Name, args, cancellationToken).ConfigureAwait(false);
        var json = ToolResults.ToJson(result, session.Name, tool.Name);
        var isError = result.IsError == true;
        var text = ToolResults.TextOf(result) ?? json["structured"]?.ToJsonString() ?? "";
        return new ToolOutcome(isError ? $"Error from tool '{tool.Name}': {text}" : text, json["result"]?.DeepClone(), isError);
    }
}
