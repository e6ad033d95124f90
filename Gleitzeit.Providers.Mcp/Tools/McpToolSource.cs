using Gleitzeit.Core;
using Gleitzeit.Core.Llm;
using Gleitzeit.Providers.Mcp.Sessions;
using Microsoft.Extensions.AI;

namespace Gleitzeit.Providers.Mcp.Tools;

/// <summary>The tools of the configured MCP servers for <c>llm/*</c> tasks: <c>mcp:SERVER</c> and <c>mcp:SERVER/TOOL</c>.</summary>
internal sealed class McpToolSource(IReadOnlyDictionary<string, McpServerSession> sessions) : ILlmToolSource
{
    public string Scheme => "mcp";

    public IReadOnlyCollection<string> Servers => sessions.Keys.ToList();

    public async ValueTask<IReadOnlyList<AIFunction>> GetToolsAsync(string server, string? tool, CancellationToken cancellationToken = default)
    {
        if (!sessions.TryGetValue(server, out var session))
        {
            throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
                $"'mcp:{server}' names no configured MCP server; configured: {(sessions.Count == 0 ? "none" : string.Join(", ", sessions.Keys))}.");
        }
        var tools = await session.GetToolsAsync(cancellationToken).ConfigureAwait(false);
        if (tool is null) return tools.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => (AIFunction)new McpToolFunction(session, t)).ToList();
        if (tools.TryGetValue(tool, out var found)) return [new McpToolFunction(session, found)];
        throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
            $"'mcp:{server}/{tool}': MCP server '{server}' has no tool '{tool}'{Gleitzeit.Core.Spelling.DidYouMean(tool, tools.Keys)}; its tools: {string.Join(", ", tools.Keys.Order(StringComparer.Ordinal))}.");
    }
}
