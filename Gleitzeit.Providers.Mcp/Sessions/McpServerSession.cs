using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Gleitzeit.Providers.Mcp.Sessions;

/// <summary>
/// One configured MCP server: started (or connected) on first use, shared by every task, reconnected on the next call
/// after its process died or its connection broke. Tool lists are cached until the server says they changed.
/// </summary>
internal sealed partial class McpServerSession : IAsyncDisposable
{
    private const int StderrLinesKept = 20;

    private readonly McpServerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly SemaphoreSlim _calls;
    private Connection? _current;
    private bool _disposed;

    public McpServerSession(string name, McpServerOptions options, ILoggerFactory? loggerFactory)
    {
        Name = name;
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("Gleitzeit.Providers.Mcp");
        _calls = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
    }

    public string Name { get; }

    /// <summary>Most calls in flight on this server (the bound of its scheduler lane, and of the calls that reach it another way).</summary>
    public int MaxConcurrency => _options.MaxConcurrency;

    public string Transport => _options.Describe();

    /// <summary>The tools of the server, from the cache when it is still valid.</summary>
    public async ValueTask<IReadOnlyDictionary<string, Tool>> GetToolsAsync(CancellationToken cancellationToken)
    {
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref connection.Tools) is { } cached) return cached;
        var version = Volatile.Read(ref connection.ToolsVersion);
        IList<McpClientTool> listed;
        try
        {
            listed = await connection.Client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw await TranslateAsync(connection, ex, "listing tools").ConfigureAwait(false);
        }
        var tools = new Dictionary<string, Tool>(StringComparer.Ordinal);
        foreach (var t in listed) tools[t.Name] = t.ProtocolTool;
        // A tools/list_changed that arrived while listing makes this list stale: use it for this call, cache it not.
        if (Volatile.Read(ref connection.ToolsVersion) == version) Interlocked.CompareExchange(ref connection.Tools, tools, null);
        return tools;
    }

    /// <summary>Drops the cached tool list, so the next lookup asks the server again.</summary>
    public void InvalidateTools()
    {
        if (Volatile.Read(ref _current) is not { } connection) return;
        Interlocked.Increment(ref connection.ToolsVersion);
        Volatile.Write(ref connection.Tools, null);
    }

    public async ValueTask<CallToolResult> CallToolAsync(string tool, JsonObject arguments, CancellationToken cancellationToken)
    {
        await _calls.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
            var request = new CallToolRequestParams
            {
                Name = tool,
                Arguments = arguments.ToDictionary(a => a.Key, a => a.Value is null ? default : JsonElement.Parse(a.Value.ToJsonString())),
            };
            using var timeout = _options.CallTimeout is { } limit ? new CancellationTokenSource(limit) : null;
            using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                return await connection.Client.CallToolAsync(request, linked?.Token ?? cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout?.IsCancellationRequested == true && !cancellationToken.IsCancellationRequested)
            {
                throw new GleitzeitException(GleitzeitErrorCode.ProviderTimeout,
                    $"Tool '{tool}' on MCP server '{Name}' did not answer within {_options.CallTimeout!.Value.TotalSeconds:0.###} s (McpServerOptions.CallTimeout).");
            }
            catch (McpProtocolException ex) when (ex.ErrorCode == McpErrorCode.MethodNotFound || ex.Message.Contains("Unknown tool", StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Increment(ref connection.ToolsVersion);
                Volatile.Write(ref connection.Tools, null);
                throw new GleitzeitException(GleitzeitErrorCode.MethodNotFound, $"MCP server '{Name}' does not know the tool '{tool}': {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw await TranslateAsync(connection, ex, $"calling tool '{tool}'").ConfigureAwait(false);
            }
        }
        finally
        {
            _calls.Release();
        }
    }

    public async ValueTask<TimeSpan> PingAsync(CancellationToken cancellationToken)
    {
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (!connection.PingUnsupported && !WithoutPing(connection.Client.NegotiatedProtocolVersion))
            {
                await connection.Client.PingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await connection.Client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (McpProtocolException ex) when (ex.ErrorCode == McpErrorCode.MethodNotFound && !connection.PingUnsupported)
        {
            // Newer protocol versions (2026-07-28) dropped ping: any answered request proves the server is alive.
            connection.PingUnsupported = true;
            return await PingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw await TranslateAsync(connection, ex, "ping").ConfigureAwait(false);
        }
        return System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Protocol 2026-07-28 and later have no ping request (servers answer -32601).</summary>
    private static bool WithoutPing(string? protocolVersion) =>
        protocolVersion is not null && string.CompareOrdinal(protocolVersion, "2026-07-28") >= 0;

    public async ValueTask<JsonObject> DescribeServerAsync(CancellationToken cancellationToken)
    {
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        var client = connection.Client;
        var capabilities = JsonSerializer.SerializeToNode(client.ServerCapabilities, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ServerCapabilities)));
        return new JsonObject
        {
            ["server"] = Name,
            ["transport"] = Transport,
            ["name"] = client.ServerInfo?.Name,
            ["title"] = client.ServerInfo?.Title,
            ["version"] = client.ServerInfo?.Version,
            ["protocol_version"] = client.NegotiatedProtocolVersion,
            ["instructions"] = client.ServerInstructions,
            ["capabilities"] = capabilities,
        };
    }

    /// <summary>The live connection, starting the server when there is none or the last one ended.</summary>
    private async ValueTask<Connection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current);
        if (current is { IsLive: true }) return current;
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            current = _current;
            if (current is { IsLive: true }) return current;
            if (current is not null)
            {
                _current = null;
                LogReconnecting(_logger, Name);
                await DisposeConnectionAsync(current).ConfigureAwait(false);
            }
            var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _current, connection);
            return connection;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task<Connection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new Connection();
        IClientTransport transport;
        if (_options.Command is { } command)
        {
            if (CommandLocator.Find(command, _options.WorkingDirectory) is null)
            {
                throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                    $"MCP server '{Name}' cannot start: command '{command}' was not found ({CommandLocator.WhereLooked(command)}). " +
                    $"Install it or fix McpOptions.Servers[\"{Name}\"].Command (config: providers.mcp.servers.{Name}.command).");
            }
            transport = new StdioClientTransport(new StdioClientTransportOptions
            {
                Name = Name,
                Command = command,
                Arguments = [.. _options.Arguments],
                EnvironmentVariables = _options.Environment.Count == 0 ? null : new Dictionary<string, string?>(_options.Environment),
                WorkingDirectory = _options.WorkingDirectory,
                ShutdownTimeout = TimeSpan.FromSeconds(2),
                StandardErrorLines = line =>
                {
                    connection.AddStderr(line);
                    LogStderr(_logger, Name, line);
                },
            }, _loggerFactory);
        }
        else
        {
            transport = new HttpClientTransport(new HttpClientTransportOptions
            {
                Name = Name,
                Endpoint = _options.Endpoint!,
                TransportMode = HttpTransportMode.StreamableHttp,
                ConnectionTimeout = _options.ConnectTimeout,
                AdditionalHeaders = _options.Headers.Count == 0 ? null : new Dictionary<string, string>(_options.Headers),
            }, _loggerFactory);
        }

        var clientOptions = new McpClientOptions
        {
            ClientInfo = new Implementation { Name = "gleitzeit", Version = typeof(McpServerSession).Assembly.GetName().Version?.ToString(3) ?? "0.1.0" },
            InitializationTimeout = _options.ConnectTimeout,
            Handlers = new McpClientHandlers
            {
                NotificationHandlers =
                [
                    new(NotificationMethods.ToolListChangedNotification, (_, _) =>
                    {
                        Interlocked.Increment(ref connection.ToolsVersion);
                        Volatile.Write(ref connection.Tools, null);
                        LogToolsChanged(_logger, Name);
                        return ValueTask.CompletedTask;
                    }),
                ],
            },
        };

        using var timeout = new CancellationTokenSource(_options.ConnectTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            connection.Client = await McpClient.CreateAsync(transport, clientOptions, _loggerFactory, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new GleitzeitException(GleitzeitErrorCode.ProviderTimeout,
                $"MCP server '{Name}' ({Transport}) did not complete the MCP handshake within {_options.ConnectTimeout.TotalSeconds:0.###} s (McpServerOptions.ConnectTimeout).{connection.StderrTail()}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable,
                $"MCP server '{Name}' ({Transport}) could not be started or reached: {Innermost(ex)}{connection.StderrTail()}", ex);
        }
        LogConnected(_logger, Name, Transport, connection.Client.ServerInfo?.Name ?? "?", connection.Client.ServerInfo?.Version ?? "?");
        return connection;
    }

    /// <summary>Classifies a failure: a lost session (process died, connection broke) is retryable and the next call reconnects.</summary>
    private async ValueTask<GleitzeitException> TranslateAsync(Connection connection, Exception ex, string doing)
    {
        if (ex is McpProtocolException protocol)
        {
            var code = protocol.ErrorCode switch
            {
                McpErrorCode.InvalidParams => GleitzeitErrorCode.InvalidParams,
                McpErrorCode.MethodNotFound => GleitzeitErrorCode.MethodNotFound,
                _ => GleitzeitErrorCode.ProviderError,
            };
            return new GleitzeitException(code, $"MCP server '{Name}' answered an error while {doing}: {protocol.Message}", ex);
        }
        // Give the transport a moment to notice the end of the process, so the message can carry its exit code.
        try
        {
            await connection.Client.Completion.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Still open: the failure is about this call only.
        }
        if (connection.Client.Completion.IsCompleted || ex is IOException or ObjectDisposedException or HttpRequestException)
        {
            var details = connection.Client.Completion.IsCompleted ? connection.Client.Completion.Result : null;
            var exit = details is StdioClientCompletionDetails { ExitCode: { } exitCode } ? $" (exit code {exitCode})" : "";
            // An HTTP session can break while the client object lives on: start afresh next time.
            connection.Broken = true;
            LogConnectionLost(_logger, Name, doing, Innermost(ex));
            return new GleitzeitException(GleitzeitErrorCode.NetworkConnectionLost,
                $"MCP server '{Name}' went away while {doing}{exit}: {Innermost(ex)}. The next call starts a new session.{connection.StderrTail()}", ex);
        }
        return new GleitzeitException(GleitzeitErrorCode.ProviderError, $"MCP server '{Name}' failed while {doing}: {Innermost(ex)}", ex);
    }

    private static string Innermost(Exception ex)
    {
        var messages = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (!messages.Contains(e.Message)) messages.Add(e.Message);
        }
        return string.Join(" → ", messages);
    }

    public async ValueTask DisposeAsync()
    {
        await _connectGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            if (_current is { } current)
            {
                _current = null;
                await DisposeConnectionAsync(current).ConfigureAwait(false);
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async ValueTask DisposeConnectionAsync(Connection connection)
    {
        try
        {
            await connection.Client.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogDisposeFailed(_logger, Name, ex.Message);
        }
    }

    /// <summary>One session with the server: the client, its tool cache and the tail of its stderr.</summary>
    private sealed class Connection
    {
        private readonly Queue<string> _stderr = new();

        public McpClient Client = null!;
        public IReadOnlyDictionary<string, Tool>? Tools;
        public int ToolsVersion;
        public volatile bool PingUnsupported;
        public volatile bool Broken;

        public bool IsLive => !Broken && !Client.Completion.IsCompleted;

        public void AddStderr(string line)
        {
            lock (_stderr)
            {
                _stderr.Enqueue(line);
                if (_stderr.Count > StderrLinesKept) _stderr.Dequeue();
            }
        }

        public string StderrTail()
        {
            lock (_stderr)
            {
                return _stderr.Count == 0 ? "" : " Server stderr: " + string.Join(" | ", _stderr);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP server '{Server}' connected ({Transport}): {ServerName} {ServerVersion}")]
    private static partial void LogConnected(ILogger logger, string server, string transport, string serverName, string serverVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server '{Server}' went away while {Doing}: {Reason}")]
    private static partial void LogConnectionLost(ILogger logger, string server, string doing, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP server '{Server}': session ended, starting a new one")]
    private static partial void LogReconnecting(ILogger logger, string server);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MCP server '{Server}' changed its tool list")]
    private static partial void LogToolsChanged(ILogger logger, string server);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MCP server '{Server}' stderr: {Line}")]
    private static partial void LogStderr(ILogger logger, string server, string line);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MCP server '{Server}': closing the session failed: {Reason}")]
    private static partial void LogDisposeFailed(ILogger logger, string server, string reason);
}
