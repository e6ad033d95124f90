using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Gleitzeit.Providers.Mcp.Tools;

/// <summary>Turns an MCP <see cref="CallToolResult"/> into the task result of ARCHITECTURE §4.</summary>
internal static class ToolResults
{
    /// <summary>
    /// <c>response</c>: the text blocks joined by newlines; <c>result</c>: that text parsed as JSON when it parses
    /// (so <c>"123"</c> is the number 123), else the text, or the structured content when there is no text;
    /// <c>content</c>: every block as MCP sent it; <c>structured</c>: structuredContent; <c>is_error</c>.
    /// </summary>
    public static JsonObject ToJson(CallToolResult result, string server, string tool)
    {
        var text = TextOf(result);
        var structured = result.StructuredContent is { } s ? JsonNode.Parse(s.GetRawText()) : null;
        var content = new JsonArray();
        foreach (var block in result.Content)
        {
            content.Add(JsonSerializer.SerializeToNode(block, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ContentBlock))));
        }
        return new JsonObject
        {
            ["response"] = text ?? "",
            ["result"] = text is not null ? ParseOrText(text) : structured?.DeepClone(),
            ["content"] = content,
            ["structured"] = structured,
            ["is_error"] = result.IsError == true,
            ["server"] = server,
            ["tool"] = tool,
        };
    }

    /// <summary>The text blocks joined by newlines, or null when there is none.</summary>
    public static string? TextOf(CallToolResult result)
    {
        StringBuilder? sb = null;
        foreach (var block in result.Content)
        {
            if (block is not TextContentBlock t) continue;
            if (sb is null) sb = new StringBuilder(t.Text);
            else sb.Append('\n').Append(t.Text);
        }
        return sb?.ToString();
    }

    private static JsonNode? ParseOrText(string text)
    {
        var trimmed = text.AsSpan().Trim();
        if (trimmed.IsEmpty) return text;
        var first = trimmed[0];
        // Only what can start a JSON value: spares the parser (and an exception) for ordinary prose.
        if (first is '{' or '[' or '"' or '-' or (>= '0' and <= '9') || trimmed is "true" or "false" or "null")
        {
            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                return text;
            }
        }
        return text;
    }
}
