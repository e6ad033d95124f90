namespace Gleitzeit.Providers.Mcp;

/// <summary>Settings of the <c>mcp/v1</c> provider: the MCP servers it may start or connect to, by name.</summary>
public sealed class McpOptions
{
    /// <summary>
    /// Servers by name (what a task's <c>provider</c> field or <c>server</c> parameter names). Each is either a stdio
    /// server (<see cref="McpServerOptions.Command"/>) or a Streamable HTTP server (<see cref="McpServerOptions.Endpoint"/>).
    /// Default: none.
    /// </summary>
    public IDictionary<string, McpServerOptions> Servers { get; } = new Dictionary<string, McpServerOptions>(StringComparer.Ordinal);

    /// <summary>Returns one message per problem (empty when valid): what is wrong, where, and how to fix it.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var (name, server) in Servers)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add("McpOptions.Servers has a server with an empty name: give every server a name.");
                continue;
            }
            if (server is null)
            {
                errors.Add($"McpOptions.Servers[\"{name}\"] is null: set a McpServerOptions with Command or Endpoint.");
                continue;
            }
            var where = $"McpOptions.Servers[\"{name}\"]";
            var hasCommand = !string.IsNullOrWhiteSpace(server.Command);
            if (hasCommand == (server.Endpoint is not null))
            {
                errors.Add($"{where}: set exactly one of Command (a stdio server, e.g. \"node\") or Endpoint (a Streamable HTTP server, e.g. http://127.0.0.1:3001/mcp).");
            }
            if (server.Endpoint is { } endpoint && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)))
            {
                errors.Add($"{where}.Endpoint '{endpoint}' must be an absolute http:// or https:// address.");
            }
            if (!hasCommand && (server.Arguments.Count > 0 || server.Environment.Count > 0 || server.WorkingDirectory is not null))
            {
                errors.Add($"{where}: Arguments, Environment and WorkingDirectory apply to stdio servers only; set Command or remove them.");
            }
            if (server.WorkingDirectory is { } dir && !Directory.Exists(dir))
            {
                errors.Add($"{where}.WorkingDirectory '{dir}' does not exist.");
            }
            if (server.MaxConcurrency < 1)
            {
                errors.Add($"{where}.MaxConcurrency is {server.MaxConcurrency}: it must be at least 1.");
            }
            if (server.ConnectTimeout <= TimeSpan.Zero)
            {
                errors.Add($"{where}.ConnectTimeout must be positive.");
            }
            if (server.CallTimeout is { } call && call <= TimeSpan.Zero)
            {
                errors.Add($"{where}.CallTimeout must be positive (or null for the task's own timeout).");
            }
        }
        return errors;
    }
}

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
