using ModelContextProtocol.Protocol;

namespace Gleitzeit.Providers.Mcp;

/// <summary>A configured MCP server as listed by <see cref="McpProvider.ListServersAsync"/>.</summary>
/// <param name="Name">The name tasks use to pick it.</param>
/// <param name="Transport">How it is reached: <c>stdio: COMMAND ARGS</c> or <c>http: URL</c>.</param>
/// <param name="Reachable">Whether it answered.</param>
/// <param name="Tools">Its tools (empty when not reachable).</param>
/// <param name="Error">Why it could not be reached, when it could not.</param>
public sealed record McpServerDescription(string Name, string Transport, bool Reachable, IReadOnlyList<McpToolDescription> Tools, string? Error);
