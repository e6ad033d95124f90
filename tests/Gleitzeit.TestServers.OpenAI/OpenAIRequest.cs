using System.Text.Json.Nodes;

namespace Gleitzeit.TestServers.OpenAI;

/// <summary>A request the <see cref="OpenAITestServer"/> received, as it arrived.</summary>
public sealed class OpenAIRequest
{
    internal OpenAIRequest(string method, string path, string? authorization, string? apiKeyHeader, string rawBody, JsonObject? body)
    {
        Method = method;
        Path = path;
        Authorization = authorization;
        ApiKeyHeader = apiKeyHeader;
        RawBody = rawBody;
        Body = body;
    }

    /// <summary>HTTP method.</summary>
    public string Method { get; }

    /// <summary>Request path, e.g. <c>/v1/chat/completions</c>.</summary>
    public string Path { get; }

    /// <summary>The <c>Authorization</c> header as sent (e.g. <c>Bearer sk-...</c>), or null.</summary>
    public string? Authorization { get; }

    /// <summary>The <c>api-key</c> header (Azure OpenAI's), or null.</summary>
    public string? ApiKeyHeader { get; }

    /// <summary>The body as text.</summary>
    public string RawBody { get; }

    /// <summary>The body parsed as a JSON object, or null.</summary>
    public JsonObject? Body { get; }

    /// <summary>The <c>model</c> field.</summary>
    public string? Model => Body?["model"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Whether a stream was asked for.</summary>
    public bool Stream => Body?["stream"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    /// <summary>The <c>messages</c>.</summary>
    public IReadOnlyList<JsonObject> Messages => Body?["messages"] is JsonArray a ? a.OfType<JsonObject>().ToList() : [];

    /// <summary>The last user message's text.</summary>
    public string? Prompt
    {
        get
        {
            var last = Messages.LastOrDefault(m => (string?)m["role"] == "user");
            return last?["content"] switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"] ?? "")),
                _ => null,
            };
        }
    }

    /// <summary>The names of the offered tools.</summary>
    public IReadOnlyList<string> Tools => Body?["tools"] is JsonArray a
        ? a.Select(t => (string?)t?["function"]?["name"] ?? "").ToList()
        : [];

    /// <summary>The contents of the <c>tool</c> messages, in order.</summary>
    public IReadOnlyList<string> ToolResults => Messages.Where(m => (string?)m["role"] == "tool")
        .Select(m => m["content"] is JsonValue c && c.TryGetValue<string>(out var s) ? s : m["content"]?.ToJsonString() ?? "").ToList();

    /// <summary>The <c>response_format</c> object, if any.</summary>
    public JsonObject? ResponseFormat => Body?["response_format"] as JsonObject;

    public override string ToString() => $"{Method} {Path} {RawBody}";
}
