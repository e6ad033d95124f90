namespace Gleitzeit.Providers.Mcp;

/// <summary>One MCP server: a command started as a child process that speaks MCP over stdio, or a Streamable HTTP endpoint.</summary>
public sealed class McpServerOptions
{
    /// <summary>Executable of a stdio server (<c>node</c>, <c>python3</c>, <c>npx</c>, a path). Null for an HTTP server.</summary>
    public string? Command { get; set; }

    /// <summary>Arguments of <see cref="Command"/>. Default: none.</summary>
    public IList<string> Arguments { get; set; } = [];

    /// <summary>Environment variables added to (or, with a null value, removed from) the server process's inherited environment. Default: none.</summary>
    public IDictionary<string, string?> Environment { get; set; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>Working directory of the server process. Default: null (the current directory).</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Address of a Streamable HTTP server, e.g. <c>http://127.0.0.1:3001/mcp</c>. Null for a stdio server.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Extra HTTP headers sent to <see cref="Endpoint"/> (an API key, say). Default: none.</summary>
    public IDictionary<string, string> Headers { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Most tool calls in flight on this server at once. Default: 8. In the engine the server is a scheduler lane with
    /// this bound, so further tasks wait in the ready queue holding no engine slot; calls that reach the server another
    /// way (a Redis worker, a direct call, a tool looked up on every server) wait inside the provider.
    /// </summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Limit for starting the server and the MCP handshake. Default: 30 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Limit for one tool call (PROVIDER_TIMEOUT, retryable, when exceeded). Default: null, the task's own timeout applies.</summary>
    public TimeSpan? CallTimeout { get; set; }

    /// <summary>
    /// A stdio server for a script path, as <c>GLEITZEIT_MCP_SERVER_PATH</c> is read: a <c>.js</c>/<c>.mjs</c> file runs under
    /// <c>node</c>, a <c>.py</c> file under <c>python3</c>, anything else is executed itself.
    /// </summary>
    public static McpServerOptions ForScript(string path, params string[] arguments)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var extension = Path.GetExtension(full).ToLowerInvariant();
        return extension switch
        {
            ".js" or ".mjs" or ".cjs" => new McpServerOptions { Command = "node", Arguments = [full, .. arguments] },
            ".py" => new McpServerOptions { Command = "python3", Arguments = [full, .. arguments] },
            _ => new McpServerOptions { Command = full, Arguments = [.. arguments] },
        };
    }

    internal string Describe() => Command is not null
        ? "stdio: " + string.Join(' ', new[] { Command }.Concat(Arguments))
        : "http: " + Endpoint;
}
