namespace Gleitzeit.Core.Definitions;

/// <summary>How method names map to protocols, as in the original format.</summary>
internal static class MethodNames
{
    /// <summary><c>llm/chat</c> → <c>llm/v1</c>; <c>tool.x</c> and <c>mcp/...</c> → <c>mcp/v1</c>; <c>x/y</c> → <c>x/v1</c>; otherwise null.</summary>
    public static string? InferProtocol(string method)
    {
        if (method.StartsWith("tool.", StringComparison.Ordinal)) return "mcp/v1";
        var slash = method.IndexOf('/');
        return slash > 0 ? method[..slash] + "/v1" : null;
    }
}
