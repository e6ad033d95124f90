using Microsoft.Extensions.AI;

namespace Gleitzeit.Core.Llm;

/// <summary>
/// Tools that <c>llm/*</c> tasks may give a model through their <c>tools</c> parameter, named <c>SCHEME:SERVER</c> (every
/// tool of a server) or <c>SCHEME:SERVER/TOOL</c>. The MCP package registers one for <c>mcp:</c>; register your own as
/// an <see cref="ILlmToolSource"/> singleton before the LLM provider is created.
/// </summary>
public interface ILlmToolSource
{
    /// <summary>The prefix before the colon, e.g. <c>mcp</c>.</summary>
    string Scheme { get; }

    /// <summary>The servers that can be named (known without connecting, so a workflow is checked before it runs).</summary>
    IReadOnlyCollection<string> Servers { get; }

    /// <summary>
    /// The tools of <paramref name="server"/> (only <paramref name="tool"/> when given) as functions the model may call.
    /// Throws <see cref="GleitzeitException"/> with TASK_VALIDATION_FAILED, listing what exists, for an unknown tool.
    /// </summary>
    ValueTask<IReadOnlyList<AIFunction>> GetToolsAsync(string server, string? tool, CancellationToken cancellationToken = default);
}
