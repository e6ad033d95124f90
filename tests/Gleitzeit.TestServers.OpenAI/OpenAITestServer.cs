using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gleitzeit.TestServers.Ollama;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.TestServers.OpenAI;

/// <summary>
/// A real HTTP server on 127.0.0.1 that speaks the OpenAI API: <c>POST /v1/chat/completions</c> (one JSON answer, or
/// server-sent events with <c>"stream": true</c>, with the usage chunk when <c>stream_options.include_usage</c>),
/// <c>GET /v1/models</c>, tool calls, <c>response_format</c> (schema-conforming JSON answers), token counts, the
/// <c>Authorization: Bearer</c> check and OpenAI's error bodies (401, 403, 404 model_not_found, 429 with Retry-After, 500).
/// </summary>
/// <remarks>By default it echoes the last user message. Every request is recorded in <see cref="Requests"/>. Thread-safe.</remarks>
public sealed partial class OpenAITestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<OpenAIRequest> _requests = [];
    private readonly List<(Func<OpenAIRequest, bool>? When, Func<OpenAIRequest, string> Reply)> _replies = [];
    private readonly List<FaultRule> _faults = [];
    private readonly HashSet<string> _models;
    private Func<OpenAIRequest, IReadOnlyList<OpenAIToolCall>?>? _toolPlan;
    private int _ids;

    private OpenAITestServer(WebApplication app, IEnumerable<string> models, string? apiKey)
    {
        _app = app;
        _models = new HashSet<string>(models, StringComparer.Ordinal);
        ApiKey = apiKey;
    }

    /// <summary>The base address clients use, e.g. <c>http://127.0.0.1:54321/v1/</c>.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The API key requests must carry (<c>Authorization: Bearer KEY</c> or <c>api-key: KEY</c>); null: none needed.</summary>
    public string? ApiKey { get; }

    /// <summary>Starts a server serving <paramref name="models"/> (default <c>gpt-4o-mini</c>, <c>gpt-4o</c>) that requires <paramref name="apiKey"/>.</summary>
    public static async Task<OpenAITestServer> StartAsync(IEnumerable<string>? models = null, string? apiKey = "sk-test-key", CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new OpenAITestServer(app, models ?? ["gpt-4o-mini", "gpt-4o"], apiKey);
        app.Map("/v1/{**rest}", server.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Urls.First().TrimEnd('/');
        server.BaseUri = new Uri(address + "/v1/");
        return server;
    }

    /// <summary>Requests received so far (a snapshot).</summary>
    public IReadOnlyList<OpenAIRequest> Requests
    {
        get
        {
            lock (_gate) return _requests.ToList();
        }
    }

    /// <summary>Chat completion requests received so far.</summary>
    public IReadOnlyList<OpenAIRequest> ChatRequests => Requests.Where(r => r.Path == "/v1/chat/completions").ToList();

    /// <summary>Answers with <paramref name="text"/> (only for <paramref name="model"/> when given).</summary>
    public OpenAITestServer Reply(string text, string? model = null) => Reply(_ => text, model is null ? null : r => r.Model == model);

    /// <summary>Answers requests that <paramref name="when"/> accepts with the text <paramref name="reply"/> returns; the rule added last wins.</summary>
    public OpenAITestServer Reply(Func<OpenAIRequest, string> reply, Func<OpenAIRequest, bool>? when = null)
    {
        lock (_gate) _replies.Add((when, reply));
        return this;
    }

    /// <summary>Makes the model call tools: <paramref name="plan"/> returns the calls for a request that offers tools (null or empty: answer with text).</summary>
    public OpenAITestServer CallTools(Func<OpenAIRequest, IReadOnlyList<OpenAIToolCall>?> plan)
    {
        lock (_gate) _toolPlan = plan;
        return this;
    }

    /// <summary>Answers the next <paramref name="times"/> chat requests with <paramref name="fault"/>.</summary>
    public OpenAITestServer Fail(OpenAIFault fault, int times = int.MaxValue)
    {
        lock (_gate) _faults.Add(new FaultRule(fault, times));
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(cts.Token).ConfigureAwait(false);
        }
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        string raw;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8)) raw = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        JsonObject? body = null;
        try
        {
            body = raw.Length == 0 ? null : JsonNode.Parse(raw) as JsonObject;
        }
        catch (JsonException)
        {
        }
        var request = new OpenAIRequest(context.Request.Method, context.Request.Path.Value ?? "/",
            context.Request.Headers.Authorization.FirstOrDefault(), context.Request.Headers["api-key"].FirstOrDefault(), raw, body);
        lock (_gate) _requests.Add(request);

        if (ApiKey is not null && request.Authorization != "Bearer " + ApiKey && request.ApiKeyHeader != ApiKey)
        {
            await ErrorAsync(context, OpenAIFault.Unauthorized(), ct).ConfigureAwait(false);
            return;
        }
        if (request.Path == "/v1/models" && request.Method == "GET")
        {
            var data = new JsonArray();
            lock (_gate)
            {
                foreach (var m in _models.Order(StringComparer.Ordinal)) data.Add(new JsonObject { ["id"] = m, ["object"] = "model", ["created"] = 1700000000, ["owned_by"] = "test" });
            }
            await JsonAsync(context, 200, new JsonObject { ["object"] = "list", ["data"] = data }, ct).ConfigureAwait(false);
            return;
        }
        if (request.Path != "/v1/chat/completions" || request.Method != "POST")
        {
            await ErrorAsync(context, new OpenAIFault(404, $"Invalid URL ({request.Method} {request.Path})", "invalid_request_error"), ct).ConfigureAwait(false);
            return;
        }
        if (body is null)
        {
            await ErrorAsync(context, new OpenAIFault(400, "We could not parse the JSON body of your request.", "invalid_request_error"), ct).ConfigureAwait(false);
            return;
        }
        if (NextFault() is { } fault)
        {
            await ErrorAsync(context, fault, ct).ConfigureAwait(false);
            return;
        }
        bool known;
        lock (_gate) known = request.Model is { } model && _models.Contains(model);
        if (!known)
        {
            await ErrorAsync(context, new OpenAIFault(404, $"The model `{request.Model}` does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"), ct).ConfigureAwait(false);
            return;
        }
        await CompleteAsync(context, request, ct).ConfigureAwait(false);
    }

    private OpenAIFault? NextFault()
    {
        lock (_gate)
        {
            for (var i = _faults.Count - 1; i >= 0; i--)
            {
                if (_faults[i].Remaining <= 0) continue;
                if (_faults[i].Remaining != int.MaxValue) _faults[i].Remaining--;
                return _faults[i].Fault;
            }
        }
        return null;
    }

    private async Task CompleteAsync(HttpContext context, OpenAIRequest request, CancellationToken ct)
    {
        Func<OpenAIRequest, string>? reply = null;
        Func<OpenAIRequest, IReadOnlyList<OpenAIToolCall>?>? plan;
        lock (_gate)
        {
            for (var i = _replies.Count - 1; i >= 0 && reply is null; i--)
            {
                if (_replies[i].When?.Invoke(request) ?? true) reply = _replies[i].Reply;
            }
            plan = _toolPlan;
        }
        var calls = plan is not null && request.Tools.Count > 0 ? plan(request) : null;
        var format = request.ResponseFormat;
        var text = calls is { Count: > 0 } ? ""
            : reply is not null ? reply(request)
            : (string?)format?["type"] == "json_schema" ? SchemaSample.For(format!["json_schema"]?["schema"])?.ToJsonString() ?? "null"
            : (string?)format?["type"] == "json_object" ? new JsonObject { ["answer"] = request.Prompt ?? "" }.ToJsonString()
            : request.Prompt ?? "";
        var promptTokens = Count(string.Join(" ", request.Messages.Select(m => m["content"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : m["content"]?.ToJsonString() ?? "")));
        var completionTokens = calls is { Count: > 0 } ? calls.Count * 5 : Count(text);
        var usage = new JsonObject { ["prompt_tokens"] = promptTokens, ["completion_tokens"] = completionTokens, ["total_tokens"] = promptTokens + completionTokens };
        var id = "chatcmpl-" + Interlocked.Increment(ref _ids).ToString(CultureInfo.InvariantCulture);
        var model = request.Model!;
        JsonArray? toolCalls = calls is { Count: > 0 }
            ? new JsonArray(calls.Select((c, i) => (JsonNode)new JsonObject
            {
                ["index"] = i,
                ["id"] = $"call_{id}_{i}",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments.ToJsonString() },
            }).ToArray())
            : null;
        var finish = toolCalls is null ? "stop" : "tool_calls";

        if (!request.Stream)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = toolCalls is null ? text : null };
            if (toolCalls is not null)
            {
                foreach (var call in toolCalls) call!.AsObject().Remove("index");
                message["tool_calls"] = toolCalls;
            }
            await JsonAsync(context, 200, new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion",
                ["created"] = 1700000000,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
                ["usage"] = usage,
            }, ct).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        JsonObject Chunk(JsonObject delta, string? finishReason) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = 1700000000,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason }),
        };
        await EventAsync(context, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null), ct).ConfigureAwait(false);
        if (toolCalls is not null)
        {
            await EventAsync(context, Chunk(new JsonObject { ["tool_calls"] = toolCalls }, null), ct).ConfigureAwait(false);
        }
        else
        {
            foreach (Match word in Words().Matches(text)) await EventAsync(context, Chunk(new JsonObject { ["content"] = word.Value }, null), ct).ConfigureAwait(false);
        }
        await EventAsync(context, Chunk(new JsonObject(), finish), ct).ConfigureAwait(false);
        if (request.Body?["stream_options"]?["include_usage"] is JsonValue u && u.TryGetValue<bool>(out var include) && include)
        {
            await EventAsync(context, new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = 1700000000,
                ["model"] = model,
                ["choices"] = new JsonArray(),
                ["usage"] = usage,
            }, ct).ConfigureAwait(false);
        }
        await context.Response.WriteAsync("data: [DONE]\n\n", ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private static int Count(string text) => Math.Max(1, Words().Count(text));

    [GeneratedRegex(@"\s*\S+\s*")]
    private static partial Regex Words();

    private static async Task EventAsync(HttpContext context, JsonObject data, CancellationToken ct)
    {
        await context.Response.WriteAsync("data: " + data.ToJsonString() + "\n\n", ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task JsonAsync(HttpContext context, int status, JsonObject body, CancellationToken ct)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), ct).ConfigureAwait(false);
    }

    private static Task ErrorAsync(HttpContext context, OpenAIFault fault, CancellationToken ct)
    {
        if (fault.RetryAfter is { } after) context.Response.Headers.RetryAfter = Math.Max(0, (int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return JsonAsync(context, fault.Status, new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = fault.Message, ["type"] = fault.Type, ["param"] = null, ["code"] = fault.Code },
        }, ct);
    }

    private sealed class FaultRule(OpenAIFault fault, int times)
    {
        public OpenAIFault Fault { get; } = fault;

        public int Remaining { get; set; } = times;
    }
}
