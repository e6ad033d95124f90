using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.Mcp.Sessions;
using Gleitzeit.Providers.Mcp.Tools;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;

namespace Gleitzeit.Providers.Mcp;

/// <summary>
/// The <c>mcp/v1</c> provider: the tools of every configured MCP server as task methods <c>tool.NAME</c> /
/// <c>mcp/tool.NAME</c>, plus <c>mcp/ping</c>, <c>mcp/tools/list</c> and <c>mcp/server_info</c>. A task picks its server
/// with its <c>provider</c> field or a <c>server</c> parameter; without either the tool name must be unique across servers.
/// Servers start on first use and are shared by all tasks; dispose the provider to stop them.
/// </summary>
public sealed class McpProvider : ITaskProvider, ITaskLanes, IAsyncDisposable
{
    /// <summary>The parameter that names the server when the task has no <c>provider</c> field; removed before the call.</summary>
    public const string ServerParameter = "server";

    private static readonly ParameterSpec ServerSpec = new(ServerParameter, ParameterType.String, Description: "which configured MCP server to use (else the task's provider field, else every server)");

    // A tool may have an argument called 'server' of any type: only a configured server's name is taken (and removed).
    private static readonly ParameterSpec ToolServerSpec = new(ServerParameter, ParameterType.Any, Description: "which configured MCP server to use (else the task's provider field, else the only server with the tool)");

    private readonly Dictionary<string, McpServerSession> _sessions;

    /// <summary>Creates the provider for the servers in <paramref name="options"/> (validated; an invalid configuration throws <see cref="ArgumentException"/>); each server is started or connected on first use.</summary>
    public McpProvider(McpOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException("Invalid MCP configuration: " + string.Join(" ", errors), nameof(options));
        _sessions = options.Servers.ToDictionary(s => s.Key, s => new McpServerSession(s.Key, s.Value, loggerFactory), StringComparer.Ordinal);
        Protocol = new ProtocolDescriptor("mcp", "v1",
        [
            new MethodDescriptor("tool.*", [ToolServerSpec], "Calls the MCP tool named after 'tool.' with the task's parameters as its arguments."),
            new MethodDescriptor("mcp/tool.*", [ToolServerSpec], "Same as tool.NAME."),
            new MethodDescriptor("mcp/ping", [ServerSpec], "Pings the server (every server when none is named)."),
            new MethodDescriptor("mcp/tools/list", [ServerSpec], "Lists the tools of the server (of every server when none is named)."),
            new MethodDescriptor("mcp/server_info", [ServerSpec], "Name, version and capabilities of the server (of every server when none is named)."),
        ], "Tools of Model Context Protocol servers");
    }

    /// <inheritdoc />
    public ProtocolDescriptor Protocol { get; }

    /// <summary>The tools of the configured servers for <c>llm/*</c> tasks (<c>tools: [mcp:SERVER, mcp:SERVER/TOOL]</c>).</summary>
    public ILlmToolSource ToolSource => _toolSource ??= new Tools.McpToolSource(_sessions);

    private ILlmToolSource? _toolSource;

    /// <summary>
    /// Each server is a lane of the scheduler, bounded by its <see cref="McpServerOptions.MaxConcurrency"/>: a task for a
    /// busy server waits in the engine's ready queue without holding an engine slot. The server is known before the call
    /// from the task's <c>provider</c> field, a literal <c>server</c> parameter naming a configured server, or when only
    /// one server is configured; otherwise (the tool is looked up on every server) null, and the call waits for the
    /// server inside the provider.
    /// </summary>
    public TaskLane? LaneFor(WorkflowTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        string? name = null;
        if (task.Provider is { } provider && _sessions.ContainsKey(provider)) name = provider;
        else if (task.Parameters[ServerParameter] is JsonValue v && v.TryGetValue<string>(out var named) && _sessions.ContainsKey(named)) name = named;
        else if (_sessions.Count == 1) name = _sessions.Keys.First();
        return name is null ? null : new TaskLane(name, _sessions[name].MaxConcurrency);
    }

    /// <summary>Names of the configured servers.</summary>
    public IReadOnlyCollection<string> ServerNames => _sessions.Keys;

    /// <inheritdoc />
    public async ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var arguments = (JsonObject)invocation.Parameters.DeepClone();
        var server = ChooseServer(invocation, arguments);
        var method = invocation.Method;
        var isTool = ToolName(method) is not null;
        if (server is null && !isTool && UnknownServerParameter(arguments) is { } unknown)
        {
            throw UnknownServer(invocation.TaskId, unknown);
        }
        return method switch
        {
            "mcp/ping" => await PingAsync(server, cancellationToken).ConfigureAwait(false),
            "mcp/tools/list" => await ListToolsAsync(server, cancellationToken).ConfigureAwait(false),
            "mcp/server_info" => await ServerInfoAsync(server, cancellationToken).ConfigureAwait(false),
            _ when ToolName(method) is { } tool => await CallToolAsync(invocation.TaskId, tool, server, arguments, cancellationToken).ConfigureAwait(false),
            _ => throw new GleitzeitException(GleitzeitErrorCode.MethodNotFound,
                $"Method '{method}' is not an MCP method: use tool.NAME, mcp/tool.NAME, mcp/ping, mcp/tools/list or mcp/server_info."),
        };
    }

    /// <summary>Pings every server (starting those not running). Healthy when all answer, degraded when some do.</summary>
    public async ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (_sessions.Count == 0) return ProviderHealth.Unhealthy(NoServersMessage);
        var servers = new JsonObject();
        var checks = _sessions.Values.Select(async s =>
        {
            try
            {
                var elapsed = await s.PingAsync(cancellationToken).ConfigureAwait(false);
                var tools = await s.GetToolsAsync(cancellationToken).ConfigureAwait(false);
                return (s, (string?)null, elapsed, tools.Count);
            }
            catch (GleitzeitException ex)
            {
                return (s, ex.Message, TimeSpan.Zero, 0);
            }
        }).ToList();
        var results = await Task.WhenAll(checks).ConfigureAwait(false);
        foreach (var (s, error, elapsed, count) in results)
        {
            servers[s.Name] = error is null
                ? new JsonObject { ["status"] = "healthy", ["transport"] = s.Transport, ["tools"] = count, ["ping_ms"] = Math.Round(elapsed.TotalMilliseconds, 2) }
                : new JsonObject { ["status"] = "unhealthy", ["transport"] = s.Transport, ["error"] = error };
        }
        var failed = results.Count(r => r.Item2 is not null);
        var details = new JsonObject { ["servers"] = servers };
        if (failed == 0) return ProviderHealth.Healthy($"{results.Length} MCP server(s) answering", details);
        var message = $"{failed} of {results.Length} MCP server(s) not answering: " + string.Join("; ", results.Where(r => r.Item2 is not null).Select(r => r.Item2));
        return failed == results.Length ? ProviderHealth.Unhealthy(message, details) : new ProviderHealth(ProviderHealthStatus.Degraded, message, details);
    }

    /// <summary>Every configured server with its tools (starting servers not running), for listings such as <c>gleitzeit provider list</c>.</summary>
    public async Task<IReadOnlyList<McpServerDescription>> ListServersAsync(CancellationToken cancellationToken = default)
    {
        var tasks = _sessions.Values.Select(async s =>
        {
            try
            {
                var tools = await s.GetToolsAsync(cancellationToken).ConfigureAwait(false);
                return new McpServerDescription(s.Name, s.Transport, true,
                    tools.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => new McpToolDescription(t.Name, t.Description, SchemaOf(t))).ToList(), null);
            }
            catch (GleitzeitException ex)
            {
                return new McpServerDescription(s.Name, s.Transport, false, [], ex.Message);
            }
        });
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Stops every server process and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_sessions.Values.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
    }

    private const string NoServersMessage =
        "No MCP servers are configured: add one with AddMcp(o => o.Servers[\"name\"] = new McpServerOptions { Command = ... }) or in the CLI config under providers.mcp.servers.";

    /// <summary><c>tool.echo</c> and <c>mcp/tool.echo</c> → <c>echo</c>.</summary>
    internal static string? ToolName(string method)
    {
        if (method.StartsWith("mcp/tool.", StringComparison.Ordinal)) return method.Length > 9 ? method[9..] : null;
        if (method.StartsWith("tool.", StringComparison.Ordinal)) return method.Length > 5 ? method[5..] : null;
        return null;
    }

    /// <summary>The server a task named (its provider field, else a <c>server</c> parameter, which is removed), or null.</summary>
    private McpServerSession? ChooseServer(TaskInvocation invocation, JsonObject arguments)
    {
        string? name = null;
        if (arguments[ServerParameter] is JsonValue v && v.TryGetValue<string>(out var fromParameter) && _sessions.ContainsKey(fromParameter))
        {
            name = fromParameter;
            arguments.Remove(ServerParameter);
        }
        if (invocation.Provider is { } provider && provider != Protocol.Name && provider != Protocol.Id)
        {
            if (!_sessions.ContainsKey(provider))
            {
                throw new GleitzeitException(GleitzeitErrorCode.ProviderNotFound,
                    $"Task '{invocation.TaskId}' asks for MCP server '{provider}', which is not configured; configured: {ServerList()}.");
            }
            name = provider;
        }
        return name is null ? null : _sessions[name];
    }

    /// <summary>A string <c>server</c> parameter that names no configured server: a typo, or an argument of the tool itself.</summary>
    private static string? UnknownServerParameter(JsonObject arguments) =>
        arguments[ServerParameter] is JsonValue v && v.TryGetValue<string>(out var name) ? name : null;

    private GleitzeitException UnknownServer(string taskId, string name) => new(GleitzeitErrorCode.ProviderNotFound,
        $"Task '{taskId}' asks for MCP server '{name}' (parameter 'server'), which is not configured; configured: {ServerList()}.");

    private string ServerList() => _sessions.Count == 0 ? "none" : string.Join(", ", _sessions.Keys);

    private async ValueTask<JsonNode?> CallToolAsync(string taskId, string tool, McpServerSession? chosen, JsonObject arguments, CancellationToken cancellationToken)
    {
        var unknownServer = chosen is null ? UnknownServerParameter(arguments) : null;
        (McpServerSession Session, Tool Tool) found;
        try
        {
            found = await FindToolAsync(tool, chosen, cancellationToken).ConfigureAwait(false);
        }
        catch (GleitzeitException ex) when (unknownServer is not null && ex.Code is GleitzeitErrorCode.TaskValidationFailed or GleitzeitErrorCode.MethodNotFound)
        {
            throw UnknownServer(taskId, unknownServer);
        }
        var (session, definition) = found;
        if (unknownServer is not null && SchemaOf(definition)["properties"]?[ServerParameter] is null)
        {
            throw UnknownServer(taskId, unknownServer);
        }
        var problems = ToolArgumentValidator.Validate(arguments, SchemaOf(definition));
        if (problems.Count > 0)
        {
            throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
                $"Invalid arguments for tool '{tool}' of MCP server '{session.Name}': {string.Join("; ", problems)}.",
                data: new JsonArray(problems.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()));
        }
        var result = await session.CallToolAsync(tool, arguments, cancellationToken).ConfigureAwait(false);
        var json = ToolResults.ToJson(result, session.Name, tool);
        if (result.IsError == true)
        {
            var text = ToolResults.TextOf(result);
            throw new GleitzeitException(GleitzeitErrorCode.TaskExecutionFailed,
                $"Tool '{tool}' of MCP server '{session.Name}' reported an error: {(string.IsNullOrWhiteSpace(text) ? "(no message)" : text)}", data: json);
        }
        return json;
    }

    private async ValueTask<(McpServerSession Session, Tool Tool)> FindToolAsync(string tool, McpServerSession? chosen, CancellationToken cancellationToken)
    {
        if (chosen is null && _sessions.Count == 1) chosen = _sessions.Values.First();
        if (chosen is not null)
        {
            var tools = await chosen.GetToolsAsync(cancellationToken).ConfigureAwait(false);
            if (!tools.ContainsKey(tool))
            {
                // A server that changes its tools without telling (no tools/list_changed) gets one fresh look.
                chosen.InvalidateTools();
                tools = await chosen.GetToolsAsync(cancellationToken).ConfigureAwait(false);
            }
            if (tools.TryGetValue(tool, out var found)) return (chosen, found);
            throw new GleitzeitException(GleitzeitErrorCode.MethodNotFound,
                $"MCP server '{chosen.Name}' has no tool '{tool}'; its tools: {string.Join(", ", tools.Keys.Order(StringComparer.Ordinal))}.",
                data: new JsonArray(tools.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode)JsonValue.Create(k)).ToArray()));
        }
        if (_sessions.Count == 0) throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable, NoServersMessage);

        var lookups = await LookupAllAsync(cancellationToken).ConfigureAwait(false);
        if (!lookups.Any(l => l.Error is not null || l.Tools!.ContainsKey(tool)))
        {
            foreach (var s in _sessions.Values) s.InvalidateTools();
            lookups = await LookupAllAsync(cancellationToken).ConfigureAwait(false);
        }
        var holders = lookups.Where(l => l.Tools?.ContainsKey(tool) == true).ToList();
        if (holders.Count == 1) return (holders[0].Session, holders[0].Tools![tool]);
        if (holders.Count > 1)
        {
            var names = string.Join(", ", holders.Select(h => h.Session.Name));
            throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
                $"Tool '{tool}' is offered by several MCP servers ({names}): name one with the task's provider field (e.g. provider: {holders[0].Session.Name}) or a 'server' parameter.");
        }
        var unreachable = lookups.Where(l => l.Error is not null).ToList();
        if (unreachable.Count > 0)
        {
            // The tool may be on a server that could not be reached: that is the error to report (and retry).
            var first = unreachable[0].Error!;
            throw new GleitzeitException(first.Code,
                $"No reachable MCP server has a tool '{tool}', and {string.Join("; ", unreachable.Select(u => u.Error!.Message))}", first);
        }
        var listing = string.Join("; ", lookups.Select(l => $"{l.Session.Name}: {string.Join(", ", l.Tools!.Keys.Order(StringComparer.Ordinal))}"));
        throw new GleitzeitException(GleitzeitErrorCode.MethodNotFound, $"No MCP server has a tool '{tool}'. Tools by server: {listing}.");
    }

    private Task<(McpServerSession Session, IReadOnlyDictionary<string, Tool>? Tools, GleitzeitException? Error)[]> LookupAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_sessions.Values.Select(async s =>
        {
            try
            {
                return (Session: s, Tools: (IReadOnlyDictionary<string, Tool>?)await s.GetToolsAsync(cancellationToken).ConfigureAwait(false), Error: (GleitzeitException?)null);
            }
            catch (GleitzeitException ex)
            {
                return (Session: s, Tools: (IReadOnlyDictionary<string, Tool>?)null, Error: ex);
            }
        }));

    private async ValueTask<JsonNode?> PingAsync(McpServerSession? chosen, CancellationToken cancellationToken)
    {
        var sessions = Targets(chosen);
        var servers = new JsonObject();
        foreach (var s in sessions)
        {
            var elapsed = await s.PingAsync(cancellationToken).ConfigureAwait(false);
            servers[s.Name] = new JsonObject { ["status"] = "ok", ["ping_ms"] = Math.Round(elapsed.TotalMilliseconds, 2) };
        }
        var result = new JsonObject { ["status"] = "ok", ["response"] = "pong", ["servers"] = servers };
        if (sessions.Count == 1) result["server"] = sessions[0].Name;
        return result;
    }

    private async ValueTask<JsonNode?> ListToolsAsync(McpServerSession? chosen, CancellationToken cancellationToken)
    {
        var tools = new JsonArray();
        foreach (var s in Targets(chosen))
        {
            var list = await s.GetToolsAsync(cancellationToken).ConfigureAwait(false);
            foreach (var t in list.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                tools.Add((JsonNode)new JsonObject { ["name"] = t.Name, ["description"] = t.Description, ["server"] = s.Name, ["input_schema"] = SchemaOf(t) });
            }
        }
        var names = string.Join(", ", tools.Select(t => (string?)t!["name"]));
        return new JsonObject { ["tools"] = tools, ["count"] = tools.Count, ["response"] = names, ["result"] = tools.DeepClone() };
    }

    private async ValueTask<JsonNode?> ServerInfoAsync(McpServerSession? chosen, CancellationToken cancellationToken)
    {
        var sessions = Targets(chosen);
        var servers = new JsonObject();
        foreach (var s in sessions) servers[s.Name] = await s.DescribeServerAsync(cancellationToken).ConfigureAwait(false);
        if (sessions.Count == 1)
        {
            var single = (JsonObject)servers[sessions[0].Name]!.DeepClone();
            single["servers"] = servers;
            return single;
        }
        return new JsonObject { ["servers"] = servers, ["count"] = servers.Count };
    }

    private List<McpServerSession> Targets(McpServerSession? chosen)
    {
        if (chosen is not null) return [chosen];
        if (_sessions.Count == 0) throw new GleitzeitException(GleitzeitErrorCode.ProviderNotAvailable, NoServersMessage);
        return [.. _sessions.Values];
    }

    private static JsonObject SchemaOf(Tool tool) =>
        tool.InputSchema.ValueKind == JsonValueKind.Object ? (JsonObject)JsonNode.Parse(tool.InputSchema.GetRawText())! : new JsonObject();
}
