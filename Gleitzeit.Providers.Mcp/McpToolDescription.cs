using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;

namespace Gleitzeit.Providers.Mcp;

/// <summary>One tool of an MCP server: name, description and input JSON Schema.</summary>
public sealed record McpToolDescription(string Name, string? Description, JsonObject InputSchema);
