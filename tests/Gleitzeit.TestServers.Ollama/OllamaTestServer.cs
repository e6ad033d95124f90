using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.TestServers.Ollama;

/// <summary>
/// A real HTTP server on 127.0.0.1 (a free port) that speaks Ollama's REST API: <c>/api/chat</c> and <c>/api/generate</c>
/// (NDJSON streams, or one object with <c>"stream": false</c>), <c>/api/embed</c>, <c>/api/tags</c>, <c>/api/version</c>,
/// <c>/api/show</c>, and Ollama's 404 body for a model that is not installed.
/// </summary>
/// <remarks>
/// By default it echoes the prompt (the last user message, or <c>prompt</c>) back as the model's answer. Script it with
/// <see cref="Reply(string, string?)"/>, <see cref="Reply(Func{OllamaRequest, string}, Func{OllamaRequest, bool}?)"/> and
/// <see cref="Fail"/>; the rule added last wins. Every request is recorded in <see cref="Requests"/>. All members are thread-safe.
/// <code>
/// await using var ollama = await OllamaTestServer.StartAsync();
/// ollama.Reply("Paris", model: "llama3.2");
/// ollama.Fail(OllamaFault.TooManyRequests(TimeSpan.FromSeconds(1)), times: 1);
/// </code>
/// </remarks>
public sealed partial class OllamaTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<OllamaRequest> _requests = [];
    private readonly List<Rule> _rules = [];
    private readonly List<OllamaTestModel> _models;
    private Func<OllamaRequest, IReadOnlyList<OllamaToolCall>?>? _toolPlan;

    private OllamaTestServer(WebApplication app, IEnumerable<OllamaTestModel> models)
    {
        _app = app;
        _models = models.ToList();
    }

    /// <summary>Root address, e.g. <c>http://127.0.0.1:54321/</c>: what <c>OllamaOptions.Endpoint</c> takes.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>Wait before answering each request (before the first byte). Default: none.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Wait between streamed chunks. Default: none.</summary>
    public TimeSpan ChunkDelay { get; set; }

    /// <summary>Words per streamed chunk (a word keeps its trailing whitespace). Default: 1, as models stream about a token at a time.</summary>
    public int WordsPerChunk { get; set; } = 1;

    /// <summary>Length of the vectors <c>/api/embed</c> returns. Default: 8.</summary>
    public int EmbeddingDimensions { get; set; } = 8;

    /// <summary>What <c>/api/version</c> reports. Default: <c>0.6.8</c>.</summary>
    public string Version { get; set; } = "0.6.8";

    /// <summary>Starts a server with <paramref name="models"/> installed (default: <see cref="OllamaTestModel.Defaults"/>).</summary>
    public static async Task<OllamaTestServer> StartAsync(IEnumerable<OllamaTestModel>? models = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.AllowSynchronousIO = false);
        var app = builder.Build();
        var server = new OllamaTestServer(app, models ?? OllamaTestModel.Defaults);
        server.Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Urls.First();
        server.BaseUri = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary>Requests received so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<OllamaRequest> Requests
    {
        get
        {
            lock (_gate) return _requests.ToList();
        }
    }

    /// <summary>Recorded requests to one path, e.g. <c>/api/chat</c>.</summary>
    public IReadOnlyList<OllamaRequest> RequestsTo(string path) => Requests.Where(r => r.Path == path).ToList();

    /// <summary>Installed models (a snapshot).</summary>
    public IReadOnlyList<OllamaTestModel> Models
    {
        get
        {
            lock (_gate) return _models.ToList();
        }
    }

    /// <summary>Installs a model (as <c>ollama pull</c> would).</summary>
    public OllamaTestServer AddModel(OllamaTestModel model)
    {
        lock (_gate) _models.Add(model);
        return this;
    }

    /// <summary>Uninstalls a model (as <c>ollama rm</c> would); requests naming it get Ollama's 404.</summary>
    public OllamaTestServer RemoveModel(string name)
    {
        var full = Normalize(name);
        lock (_gate) _models.RemoveAll(m => m.FullName == full);
        return this;
    }

    /// <summary>Answers with <paramref name="text"/>: every chat/generate request, or only those for <paramref name="model"/>.</summary>
    public OllamaTestServer Reply(string text, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var full = model is null ? null : Normalize(model);
        return Reply(_ => text, full is null ? null : r => r.Model is { } m && Normalize(m) == full);
    }

    /// <summary>Answers chat/generate requests that <paramref name="when"/> accepts (all when null) with the text <paramref name="reply"/> returns.</summary>
    public OllamaTestServer Reply(Func<OllamaRequest, string> reply, Func<OllamaRequest, bool>? when = null)
    {
        ArgumentNullException.ThrowIfNull(reply);
        lock (_gate) _rules.Add(new Rule(when, reply, null, int.MaxValue));
        return this;
    }

    /// <summary>
    /// Injects <paramref name="fault"/> into requests that <paramref name="when"/> accepts (when null: every chat, generate and
    /// embed request), for the next <paramref name="times"/> matching requests; after that the rule no longer applies.
    /// </summary>
    public OllamaTestServer Fail(OllamaFault fault, Func<OllamaRequest, bool>? when = null, int times = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        lock (_gate) _rules.Add(new Rule(when ?? IsInference, null, fault, times));
        return this;
    }

    /// <summary>
    /// Makes the model call tools: for each chat request that offers tools, <paramref name="plan"/> returns the calls to make
    /// (the answer is then an assistant message with <c>tool_calls</c>), or null / empty to answer with text as usual.
    /// </summary>
    public OllamaTestServer CallTools(Func<OllamaRequest, IReadOnlyList<OllamaToolCall>?> plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        lock (_gate) _toolPlan = plan;
        return this;
    }

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearRequests()
    {
        lock (_gate) _requests.Clear();
    }

    /// <summary>Removes every reply and fault rule (back to echoing) and forgets the recorded requests.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _rules.Clear();
            _requests.Clear();
            _toolPlan = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(cts.Token).ConfigureAwait(false);
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    internal static string Normalize(string model) => model.Contains(':', StringComparison.Ordinal) ? model : model + ":latest";

    private static bool IsInference(OllamaRequest r) => r.Path is "/api/chat" or "/api/generate" or "/api/embed";

    private void Map(WebApplication app)
    {
        app.MapGet("/", () => Results.Text("Ollama is running"));
        app.Map("/api/{**rest}", HandleAsync);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var ct = aborted.Token;
        try
        {
            var request = await RecordAsync(context, ct).ConfigureAwait(false);
            var (fault, reply) = Match(request);
            if (Latency > TimeSpan.Zero) await Task.Delay(Latency, ct).ConfigureAwait(false);
            if (fault is not null && await InjectAsync(context, fault, request, ct).ConfigureAwait(false)) return;

            switch (request.Path)
            {
                case "/api/version" when request.Method == "GET":
                    await WriteJsonAsync(context, 200, new JsonObject { ["version"] = Version }, ct).ConfigureAwait(false);
                    return;
                case "/api/tags" when request.Method == "GET":
                    await WriteJsonAsync(context, 200, Tags(), ct).ConfigureAwait(false);
                    return;
                case "/api/ps" when request.Method == "GET":
                    await WriteJsonAsync(context, 200, new JsonObject { ["models"] = new JsonArray() }, ct).ConfigureAwait(false);
                    return;
            }
            if (request.Method != "POST")
            {
                await WriteErrorAsync(context, 405, "405 method not allowed", ct).ConfigureAwait(false);
                return;
            }
            if (request.Body is null)
            {
                await WriteErrorAsync(context, 400, request.RawBody.Length == 0 ? "missing request body" : "invalid character in request body", ct).ConfigureAwait(false);
                return;
            }
            if (request.Path is "/api/chat" or "/api/generate" or "/api/embed" or "/api/show")
            {
                var name = request.Model ?? (string?)request.Body["name"];
                if (string.IsNullOrEmpty(name))
                {
                    await WriteErrorAsync(context, 400, "model is required", ct).ConfigureAwait(false);
                    return;
                }
                var model = FindModel(name);
                if (model is null)
                {
                    await WriteErrorAsync(context, 404, $"model \"{name}\" not found, try pulling it first", ct).ConfigureAwait(false);
                    return;
                }
                switch (request.Path)
                {
                    case "/api/show":
                        await WriteJsonAsync(context, 200, Show(model), ct).ConfigureAwait(false);
                        return;
                    case "/api/embed":
                        await WriteJsonAsync(context, 200, Embed(request, name, started), ct).ConfigureAwait(false);
                        return;
                    default:
                        await GenerateAsync(context, request, name, reply, fault, started, ct).ConfigureAwait(false);
                        return;
                }
            }
            await WriteErrorAsync(context, 404, "404 page not found", ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            context.Abort();
        }
    }

    private async Task<OllamaRequest> RecordAsync(HttpContext context, CancellationToken ct)
    {
        string raw;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            raw = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        }
        JsonObject? body = null;
        if (raw.Length > 0)
        {
            try
            {
                body = JsonNode.Parse(raw) as JsonObject;
            }
            catch (JsonException)
            {
                // recorded as RawBody only; answered with 400 like Ollama
            }
        }
        var request = new OllamaRequest(context.Request.Method, context.Request.Path.Value ?? "/", raw, body, DateTimeOffset.UtcNow);
        lock (_gate) _requests.Add(request);
        return request;
    }

    private (OllamaFault? Fault, Func<OllamaRequest, string>? Reply) Match(OllamaRequest request)
    {
        OllamaFault? fault = null;
        Func<OllamaRequest, string>? reply = null;
        lock (_gate)
        {
            for (var i = _rules.Count - 1; i >= 0; i--)
            {
                var rule = _rules[i];
                if (rule.Fault is not null)
                {
                    if (fault is null && rule.Remaining > 0 && (rule.When?.Invoke(request) ?? true))
                    {
                        fault = rule.Fault;
                        if (rule.Remaining != int.MaxValue) rule.Remaining--;
                    }
                }
                else if (reply is null && (request.Path is "/api/chat" or "/api/generate") && (rule.When?.Invoke(request) ?? true))
                {
                    reply = rule.Reply;
                }
            }
        }
        return (fault, reply);
    }

    /// <summary>Applies a fault that happens before any answer; returns false for faults that act during the answer.</summary>
    private static async Task<bool> InjectAsync(HttpContext context, OllamaFault fault, OllamaRequest request, CancellationToken ct)
    {
        switch (fault.Kind)
        {
            case OllamaFaultKind.ServerError:
                await WriteErrorAsync(context, 500, fault.Message ?? "internal server error", ct).ConfigureAwait(false);
                return true;
            case OllamaFaultKind.Unauthorized:
                await WriteErrorAsync(context, 401, fault.Message ?? "unauthorized", ct).ConfigureAwait(false);
                return true;
            case OllamaFaultKind.TooManyRequests:
            case OllamaFaultKind.ServiceUnavailable:
                if (fault.RetryAfter is { } after)
                {
                    context.Response.Headers.RetryAfter = Math.Max(0, (int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }
                var tooMany = fault.Kind == OllamaFaultKind.TooManyRequests;
                await WriteErrorAsync(context, tooMany ? 429 : 503, fault.Message ?? (tooMany ? "too many requests" : "server busy, please try again.  maximum pending requests exceeded"), ct).ConfigureAwait(false);
                return true;
            case OllamaFaultKind.Hang:
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                return true;
            case OllamaFaultKind.MalformedJson when !request.Stream || request.Path is not ("/api/chat" or "/api/generate"):
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json; charset=utf-8";
                await context.Response.WriteAsync("{\"model\":\"" + request.Model + "\",\"message\":{\"role\":\"assistant\",\"content\":\"oops", ct).ConfigureAwait(false);
                return true;
            default:
                return false;
        }
    }

    private async Task GenerateAsync(HttpContext context, OllamaRequest request, string model, Func<OllamaRequest, string>? reply, OllamaFault? fault,
        long started, CancellationToken ct)
    {
        var isChat = request.Path == "/api/chat";
        Func<OllamaRequest, IReadOnlyList<OllamaToolCall>?>? plan;
        lock (_gate) plan = _toolPlan;
        var calls = isChat && plan is not null && request.Tools.Count > 0 ? plan(request) : null;
        // With structured output asked for and no scripted reply, answer with JSON that matches the schema.
        var text = calls is { Count: > 0 } ? ""
            : reply is not null ? reply(request)
            : request.Format is JsonObject schema ? SchemaSample.For(schema)?.ToJsonString() ?? "null"
            : request.Format is JsonValue ? new JsonObject { ["answer"] = request.Prompt ?? "" }.ToJsonString()
            : request.Prompt ?? "";
        var chunks = Chunk(text, WordsPerChunk);
        var promptTokens = CountTokens(isChat
            ? string.Join(" ", request.Messages.Select(m => m["content"] is JsonValue c && c.TryGetValue<string>(out var s) ? s : ""))
            : (request.Prompt ?? "") + " " + (request.System ?? ""));
        var evalCount = CountTokens(text);

        if (calls is { Count: > 0 })
        {
            var callPiece = Piece(model, isChat, "");
            callPiece["message"]!["tool_calls"] = new JsonArray(calls.Select(c => (JsonNode)new JsonObject
            {
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments.DeepClone() },
            }).ToArray());
            if (!request.Stream)
            {
                AddStats(callPiece, isChat, started, promptTokens, 1);
                await WriteJsonAsync(context, 200, callPiece, ct).ConfigureAwait(false);
                return;
            }
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-ndjson";
            await WriteLineAsync(context, callPiece, ct).ConfigureAwait(false);
            var end = Piece(model, isChat, "");
            AddStats(end, isChat, started, promptTokens, 1);
            await WriteLineAsync(context, end, ct).ConfigureAwait(false);
            return;
        }

        if (!request.Stream)
        {
            var whole = Piece(model, isChat, text);
            AddStats(whole, isChat, started, promptTokens, evalCount);
            await WriteJsonAsync(context, 200, whole, ct).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-ndjson";
        var sent = 0;
        foreach (var chunk in chunks)
        {
            if (fault?.Kind is OllamaFaultKind.DropMidStream or OllamaFaultKind.TruncatedStream && sent >= fault.AfterChunks) break;
            if (fault?.Kind == OllamaFaultKind.MalformedJson && sent >= 1) break;
            if (sent > 0 && ChunkDelay > TimeSpan.Zero) await Task.Delay(ChunkDelay, ct).ConfigureAwait(false);
            await WriteLineAsync(context, Piece(model, isChat, chunk), ct).ConfigureAwait(false);
            sent++;
        }
        if (fault?.Kind == OllamaFaultKind.DropMidStream)
        {
            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            // A flush hands the bytes to the transport, not yet to the socket; an immediate abort can discard them,
            // and the client would see a refused request instead of a stream cut off midway.
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
            context.Abort();
            return;
        }
        if (fault?.Kind == OllamaFaultKind.TruncatedStream) return;
        if (fault?.Kind == OllamaFaultKind.MalformedJson)
        {
            await context.Response.WriteAsync("{\"model\":\"" + model + "\",\"message\":{\"content\":\"broken\n", ct).ConfigureAwait(false);
            return;
        }
        var last = Piece(model, isChat, "");
        AddStats(last, isChat, started, promptTokens, evalCount);
        await WriteLineAsync(context, last, ct).ConfigureAwait(false);
    }

    private static JsonObject Piece(string model, bool isChat, string text)
    {
        var obj = new JsonObject { ["model"] = model, ["created_at"] = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture) };
        if (isChat) obj["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text };
        else obj["response"] = text;
        obj["done"] = false;
        return obj;
    }

    private static void AddStats(JsonObject obj, bool isChat, long started, int promptTokens, int evalCount)
    {
        var total = Math.Max(1, (long)(Stopwatch.GetElapsedTime(started).TotalMilliseconds * 1_000_000));
        obj["done"] = true;
        obj["done_reason"] = "stop";
        if (!isChat) obj["context"] = new JsonArray(1, 2, 3);
        obj["total_duration"] = total;
        obj["load_duration"] = total / 10;
        obj["prompt_eval_count"] = promptTokens;
        obj["prompt_eval_duration"] = total / 5;
        obj["eval_count"] = evalCount;
        obj["eval_duration"] = total / 2;
    }

    private JsonObject Embed(OllamaRequest request, string model, long started)
    {
        var inputs = request.Body!["input"] switch
        {
            JsonArray a => a.Select(i => i?.ToString() ?? "").ToList(),
            JsonValue v => [v.ToString()],
            _ => new List<string>(),
        };
        var vectors = new JsonArray();
        foreach (var input in inputs) vectors.Add(new JsonArray(Vector(input, EmbeddingDimensions).Select(f => (JsonNode)f).ToArray()));
        var total = Math.Max(1, (long)(Stopwatch.GetElapsedTime(started).TotalMilliseconds * 1_000_000));
        return new JsonObject
        {
            ["model"] = model,
            ["embeddings"] = vectors,
            ["total_duration"] = total,
            ["load_duration"] = total / 10,
            ["prompt_eval_count"] = inputs.Sum(CountTokens),
        };
    }

    /// <summary>A deterministic unit vector for <paramref name="text"/>: equal texts embed equally.</summary>
    public static float[] Vector(string text, int dimensions)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var v = new float[dimensions];
        for (var i = 0; i < dimensions; i++) v[i] = (hash[i % hash.Length] - 127.5f) / 127.5f;
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        if (norm > 0) for (var i = 0; i < dimensions; i++) v[i] /= norm;
        return v;
    }

    private JsonObject Tags()
    {
        var models = new JsonArray();
        foreach (var m in Models)
        {
            models.Add(new JsonObject
            {
                ["name"] = m.FullName,
                ["model"] = m.FullName,
                ["modified_at"] = "2025-01-15T10:00:00.000000000Z",
                ["size"] = m.Size,
                ["digest"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(m.FullName))),
                ["details"] = Details(m),
            });
        }
        return new JsonObject { ["models"] = models };
    }

    private static JsonObject Details(OllamaTestModel m) => new()
    {
        ["parent_model"] = "",
        ["format"] = "gguf",
        ["family"] = m.Family,
        ["families"] = new JsonArray(m.Family),
        ["parameter_size"] = m.ParameterSize,
        ["quantization_level"] = "Q4_K_M",
    };

    private static JsonObject Show(OllamaTestModel m) => new()
    {
        ["license"] = "",
        ["modelfile"] = $"FROM {m.FullName}\n",
        ["parameters"] = "stop \"<|eot_id|>\"",
        ["template"] = "{{ .Prompt }}",
        ["details"] = Details(m),
        ["model_info"] = new JsonObject { ["general.architecture"] = m.Family, ["general.parameter_count"] = 3_212_749_888L },
        ["capabilities"] = new JsonArray((m.Capabilities ?? ["completion"]).Select(c => (JsonNode)c).ToArray()),
        ["modified_at"] = "2025-01-15T10:00:00.000000000Z",
    };

    private OllamaTestModel? FindModel(string name)
    {
        var full = Normalize(name);
        lock (_gate) return _models.FirstOrDefault(m => m.FullName == full);
    }

    private static List<string> Chunk(string text, int wordsPerChunk)
    {
        var words = Words().Matches(text).Select(m => m.Value).ToList();
        if (words.Count == 0) return text.Length == 0 ? [] : [text];
        var n = Math.Max(1, wordsPerChunk);
        var chunks = new List<string>();
        for (var i = 0; i < words.Count; i += n) chunks.Add(string.Concat(words.Skip(i).Take(n)));
        return chunks;
    }

    private static int CountTokens(string text) => Math.Max(1, Words().Count(text));

    [GeneratedRegex(@"\s*\S+\s*")]
    private static partial Regex Words();

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonObject body, CancellationToken ct)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString(), ct).ConfigureAwait(false);
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message, CancellationToken ct) =>
        WriteJsonAsync(context, status, new JsonObject { ["error"] = message }, ct);

    private static async Task WriteLineAsync(HttpContext context, JsonObject line, CancellationToken ct)
    {
        await context.Response.WriteAsync(line.ToJsonString() + "\n", ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private sealed class Rule(Func<OllamaRequest, bool>? when, Func<OllamaRequest, string>? reply, OllamaFault? fault, int times)
    {
        public Func<OllamaRequest, bool>? When { get; } = when;

        public Func<OllamaRequest, string>? Reply { get; } = reply;

        public OllamaFault? Fault { get; } = fault;

        public int Remaining { get; set; } = times;
    }
}
