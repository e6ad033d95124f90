using System.Text.Json.Nodes;

namespace Gleitzeit.TestServers.Ollama;

/// <summary>A request the <see cref="OllamaTestServer"/> received, as it arrived (recorded before any rule ran).</summary>
public sealed class OllamaRequest
{
    internal OllamaRequest(string method, string path, string rawBody, JsonObject? body, DateTimeOffset receivedAt)
    {
        Method = method;
        Path = path;
        RawBody = rawBody;
        Body = body;
        ReceivedAt = receivedAt;
    }

    /// <summary>HTTP method: <c>GET</c>, <c>POST</c>, ...</summary>
    public string Method { get; }

    /// <summary>Request path, e.g. <c>/api/chat</c>.</summary>
    public string Path { get; }

    /// <summary>The body as text (empty for GET).</summary>
    public string RawBody { get; }

    /// <summary>The body parsed as a JSON object; null when there was none or it was not a JSON object.</summary>
    public JsonObject? Body { get; }

    public DateTimeOffset ReceivedAt { get; }

    /// <summary>The <c>model</c> field of the body, as sent.</summary>
    public string? Model => Body?["model"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Whether the client asked for a stream (Ollama streams unless <c>"stream": false</c>).</summary>
    public bool Stream => Body?["stream"] is not JsonValue v || !v.TryGetValue<bool>(out var b) || b;

    /// <summary>The <c>messages</c> of an <c>/api/chat</c> request (empty otherwise).</summary>
    public IReadOnlyList<JsonObject> Messages => Body?["messages"] is JsonArray a ? a.OfType<JsonObject>().ToList() : [];

    /// <summary>The text the request asks about: <c>prompt</c> of <c>/api/generate</c>, else the last user message's content.</summary>
    public string? Prompt
    {
        get
        {
            if (Body?["prompt"] is JsonValue p && p.TryGetValue<string>(out var prompt)) return prompt;
            var lastUser = Messages.LastOrDefault(m => (string?)m["role"] == "user");
            return lastUser?["content"] is JsonValue c && c.TryGetValue<string>(out var content) ? content : null;
        }
    }

    /// <summary>The <c>system</c> message (chat) or field (generate), if any.</summary>
    public string? System =>
        Body?["system"] is JsonValue s && s.TryGetValue<string>(out var system) ? system
        : Messages.FirstOrDefault(m => (string?)m["role"] == "system")?["content"]?.GetValue<string>();

    /// <summary>Every image of the request (in messages, or the top-level <c>images</c> of <c>/api/generate</c>), base64 as sent.</summary>
    public IReadOnlyList<string> Images
    {
        get
        {
            var list = new List<string>();
            if (Body?["images"] is JsonArray top) list.AddRange(top.Select(i => i?.GetValue<string>() ?? ""));
            foreach (var m in Messages)
            {
                if (m["images"] is JsonArray imgs) list.AddRange(imgs.Select(i => i?.GetValue<string>() ?? ""));
            }
            return list;
        }
    }

    /// <summary>The <c>options</c> object (temperature, num_predict, ...), if sent.</summary>
    public JsonObject? Options => Body?["options"] as JsonObject;

    /// <summary>The names of the tools the request offers the model (<c>tools[].function.name</c>).</summary>
    public IReadOnlyList<string> Tools => Body?["tools"] is JsonArray a
        ? a.Select(t => t?["function"]?["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : "").ToList()
        : [];

    /// <summary>The contents of the <c>tool</c> messages: results of the calls made so far, in order.</summary>
    public IReadOnlyList<string> ToolResults => Messages.Where(m => (string?)m["role"] == "tool")
        .Select(m => m["content"] is JsonValue c && c.TryGetValue<string>(out var s) ? s : m["content"]?.ToJsonString() ?? "").ToList();

    /// <summary>The <c>format</c> field: <c>"json"</c> or a JSON Schema object, when structured output was asked for.</summary>
    public JsonNode? Format => Body?["format"];

    public override string ToString() => $"{Method} {Path} {RawBody}";
}
