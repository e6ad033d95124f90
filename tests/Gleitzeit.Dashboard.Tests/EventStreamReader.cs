using System.Text.Json.Nodes;

namespace Gleitzeit.Dashboard.Tests;

/// <summary>Reads server-sent events (<c>event:</c> / <c>data:</c> lines) from an open response.</summary>
internal sealed class EventStreamReader(HttpResponseMessage response, StreamReader reader) : IDisposable
{
    public HttpResponseMessage Response { get; } = response;

    public static async Task<EventStreamReader> OpenAsync(HttpClient http, string path)
    {
        var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        return new EventStreamReader(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event, or null when the stream ended.</summary>
    public async Task<(string Name, JsonNode Data)?> NextAsync()
    {
        string? name = null;
        string? data = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line["data: ".Length..];
            else if (line.Length == 0 && name is not null) return (name, JsonNode.Parse(data ?? "null")!);
        }
        return null;
    }

    /// <summary>Reads until an event named <paramref name="name"/> that <paramref name="match"/> accepts.</summary>
    public async Task<JsonNode> UntilAsync(string name, Func<JsonNode, bool>? match = null)
    {
        while (await NextAsync() is { } evt)
        {
            if (evt.Name == name && (match is null || match(evt.Data))) return evt.Data;
        }
        throw new AssertionException($"The stream ended before a '{name}' event.");
    }

    public void Dispose()
    {
        reader.Dispose();
        Response.Dispose();
    }
}
