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
