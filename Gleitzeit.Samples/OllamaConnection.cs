using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Samples;

/// <summary>The Ollama the LLM samples talk to: the test server (<c>--test-server</c>) or a reachable real one.</summary>
internal sealed class OllamaConnection : IAsyncDisposable
{
    private readonly OllamaTestServer? _server;

    private OllamaConnection(Uri endpoint, OllamaTestServer? server)
    {
        Endpoint = endpoint;
        _server = server;
    }

    public Uri Endpoint { get; }

    /// <summary>Null (after saying why and what to do on stderr) when no Ollama answers.</summary>
    public static async Task<OllamaConnection?> OpenAsync(bool testServer)
    {
        if (testServer)
        {
            var server = await OllamaTestServer.StartAsync();
            server.ChunkDelay = TimeSpan.FromMilliseconds(5);
            Console.WriteLine($"(using the Ollama-API test server at {server.BaseUri}: it echoes each prompt back as the answer)");
            return new OllamaConnection(server.BaseUri, server);
        }

        var url = Environment.GetEnvironmentVariable("GLEITZEIT_OLLAMA_URL") is { Length: > 0 } configured ? configured : "http://localhost:11434";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint))
        {
            Console.Error.WriteLine($"error: GLEITZEIT_OLLAMA_URL is not a URL: '{url}'.");
            Console.Error.WriteLine("hint: set it to an address like http://localhost:11434.");
            return null;
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync(new Uri(endpoint, "api/version"));
            response.EnsureSuccessStatusCode();
            return new OllamaConnection(endpoint, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"error: no Ollama is reachable at {endpoint} ({ex.Message}).");
            Console.Error.WriteLine("hint: install Ollama (https://ollama.com), start it with `ollama serve` and fetch the model with `ollama pull llama3.2`;");
            Console.Error.WriteLine("      or set GLEITZEIT_OLLAMA_URL to where it runs; or add --test-server to use the built-in Ollama-API test server.");
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
