using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Files;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.AI;

namespace Gleitzeit.Core.Llm;

/// <summary>
/// The <c>llm/v1</c> protocol over Microsoft.Extensions.AI: <c>llm/chat</c>, <c>llm/generate</c> and <c>llm/vision</c>
/// through any <see cref="IChatClient"/>, and <c>llm/embed</c> through an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>
/// (the method exists only when one is given). Answers stream: each piece is reported as a
/// <see cref="TaskProgressKind.Token"/> progress event; the result holds the whole text.
/// </summary>
/// <remarks>The clients are used, not owned: disposing them is the caller's business.</remarks>
public sealed class LlmProvider : ITaskProvider
{
    private static readonly string[] Roles = ["system", "user", "assistant", "tool"];

    private static readonly string[] ToolChoices = ["auto", "none", "required"];

    private readonly IChatClient _chat;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embeddings;
    private readonly LlmOptions _options;
    private readonly ILlmToolSource[] _toolSources;

    /// <summary>Creates the provider over <paramref name="chatClient"/>; <c>llm/embed</c> is offered only when <paramref name="embeddingGenerator"/> is given.</summary>
    public LlmProvider(IChatClient chatClient, IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null, LlmOptions? options = null)
        : this(chatClient, embeddingGenerator, options, null)
    {
    }

    /// <summary>
    /// Creates the provider; <paramref name="toolSources"/> are the tools tasks may name in <c>tools</c>
    /// (the MCP package registers <c>mcp:</c>).
    /// </summary>
    public LlmProvider(IChatClient chatClient, IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator, LlmOptions? options,
        IEnumerable<ILlmToolSource>? toolSources)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        _chat = chatClient;
        _embeddings = embeddingGenerator;
        _options = options?.Clone() ?? new LlmOptions();
        LlmOptionsValidator.Instance.ThrowIfInvalid(_options, nameof(options));
        _toolSources = toolSources?.ToArray() ?? [];
        Protocol = CreateDescriptor(embeddingGenerator is not null, _toolSources);
    }

    /// <inheritdoc />
    public ProtocolDescriptor Protocol { get; }

    /// <summary>The chat client tasks are sent to (with any middleware the provider was built with).</summary>
    public IChatClient ChatClient => _chat;

    /// <summary>The options in effect (a copy; changing it changes nothing).</summary>
    public LlmOptions Options => _options.Clone();

    internal LlmOptions Settings => _options;

    /// <inheritdoc />
    public async ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return invocation.Method switch
        {
            "llm/chat" => await ChatAsync(invocation, vision: false, generate: false, cancellationToken).ConfigureAwait(false),
            "llm/generate" => await ChatAsync(invocation, vision: false, generate: true, cancellationToken).ConfigureAwait(false),
            "llm/vision" => await ChatAsync(invocation, vision: true, generate: false, cancellationToken).ConfigureAwait(false),
            "llm/embed" when _embeddings is not null => await EmbedAsync(invocation, _embeddings, cancellationToken).ConfigureAwait(false),
            _ => throw new GleitzeitException(GleitzeitErrorCode.MethodNotFound,
                $"Method '{invocation.Method}' is not served by llm/v1; it has: {string.Join(", ", Protocol.Methods.Select(m => m.Name))}."),
        };
    }

    /// <summary>The provider itself, its <see cref="LlmOptions"/> (a copy: default models for cache keys and plans), or null.</summary>
    public object? GetService(Type serviceType)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceType == typeof(LlmOptions)) return _options.Clone();
        if (serviceType == typeof(Cost.RateLimitOptions)) return _options.RateLimit;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Healthy when a client is configured; clients that can be probed (Ollama) report more from their own provider.</summary>
    public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var metadata = _chat.GetService<ChatClientMetadata>();
        var details = new JsonObject
        {
            ["client"] = metadata?.ProviderName ?? _chat.GetType().Name,
            ["endpoint"] = metadata?.ProviderUri?.ToString(),
            ["default_model"] = _options.DefaultModel ?? metadata?.DefaultModelId,
            ["embeddings"] = _embeddings is not null,
        };
        return ValueTask.FromResult(ProviderHealth.Healthy("chat client configured", details));
    }

    private async Task<JsonNode?> ChatAsync(TaskInvocation invocation, bool vision, bool generate, CancellationToken cancellationToken)
    {
        var p = invocation.Parameters;
        var model = Str(p, "model") ?? (vision ? _options.VisionModel ?? _options.DefaultModel : _options.DefaultModel)
            ?? throw Invalid($"no model for {invocation.Method}: set the task parameter 'model' or {(vision ? "LlmOptions.VisionModel" : "LlmOptions.DefaultModel")}");
        var messages = BuildMessages(p);
        await AppendFilesAsync(invocation, messages, cancellationToken).ConfigureAwait(false);
        var images = await CollectImagesAsync(invocation, cancellationToken).ConfigureAwait(false);
        if (images.Count > 0)
        {
            var target = LastUser(messages);
            foreach (var image in images) target.Contents.Add(image);
        }
        if (vision && !messages.Any(m => m.Contents.OfType<DataContent>().Any()))
        {
            throw Invalid("llm/vision needs at least one image: set 'image_path', 'image_paths' or 'images' (base64)");
        }

        var chatOptions = ToChatOptions(p, model);
        var format = StructuredOutput.From(p["response_format"]);
        if (format is not null) chatOptions.ResponseFormat = format.ToChatResponseFormat();

        var client = _chat;
        ToolCallRecorder? recorder = null;
        if (p["tools"] is JsonArray { Count: > 0 } toolNames)
        {
            var maxToolCalls = Number(p["max_tool_calls"]) is { } m ? (int)Math.Clamp(m, 1, 10_000) : 10;
            chatOptions.Tools = await ResolveToolsAsync(toolNames, cancellationToken).ConfigureAwait(false);
            recorder = new ToolCallRecorder(invocation, maxToolCalls);
            client = new FunctionInvokingChatClient(_chat)
            {
                FunctionInvoker = recorder.InvokeAsync,
                // the recorder refuses the call past the limit and ends the loop; this bound only backs it up
                MaximumIterationsPerRequest = maxToolCalls + 1,
                MaximumConsecutiveErrorsPerRequest = maxToolCalls,
                IncludeDetailedErrors = true,
            };
        }

        var started = Stopwatch.GetTimestamp();
        var activity = LlmTelemetry.Start("chat", model, _chat.GetService<ChatClientMetadata>()?.ProviderName ?? _options.ServiceName, chatOptions);
        var text = new StringBuilder();
        var updates = new List<ChatResponseUpdate>();
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false))
            {
                updates.Add(update);
                if (update.Role == ChatRole.Tool) continue;
                var piece = update.Text;
                if (piece.Length == 0) continue;
                text.Append(piece);
                if (invocation.HasProgressListener) invocation.ReportProgress(TaskProgressKind.Token, piece);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var error = LlmErrors.Map(ex, _options.ServiceName, model, streamStarted: updates.Count > 0);
            LlmTelemetry.Failed(activity, error);
            throw error;
        }
        catch
        {
            activity?.Dispose();
            throw;
        }

        if (recorder?.Exceeded is { } exceeded)
        {
            throw new GleitzeitException(GleitzeitErrorCode.LlmToolCallsExceeded,
                $"model '{model}' asked for tool call number {exceeded.Count}, past max_tool_calls ({exceeded.Count - 1}); the last call: {exceeded.Tool}({exceeded.Arguments}). "
                + "Raise max_tool_calls, narrow 'tools', or tell the model in the prompt when to stop.",
                data: new JsonObject { ["tool_calls"] = recorder.Calls });
        }

        var response = updates.ToChatResponse();
        LlmTelemetry.Completed(activity, model, response);
        // With tools, the answer is the text of the last assistant turn, not the thinking-aloud before the calls.
        var answer = recorder is null ? text.ToString() : response.Messages.LastOrDefault(m => m.Role == ChatRole.Assistant)?.Text ?? text.ToString();
        var result = new JsonObject
        {
            ["response"] = answer,
            ["content"] = answer,
        };
        if (generate) result["text"] = answer;
        if (format is not null) result["result"] = format.Parse(answer, model);
        result["model"] = response.ModelId ?? model;
        result["done"] = true;
        var promptTokens = response.Usage?.InputTokenCount ?? 0;
        var completionTokens = response.Usage?.OutputTokenCount ?? 0;
        result["prompt_tokens"] = Count(promptTokens);
        result["completion_tokens"] = Count(completionTokens);
        result["usage"] = new JsonObject
        {
            ["prompt_tokens"] = Count(promptTokens),
            ["completion_tokens"] = Count(completionTokens),
            ["total_tokens"] = Count(response.Usage?.TotalTokenCount is { } total && total >= promptTokens + completionTokens ? total : promptTokens + completionTokens),
        };
        if (recorder is not null) result["tool_calls"] = recorder.Calls;
        result["duration_ms"] = Math.Round(ReportedDuration(response)?.TotalMilliseconds ?? Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3);
        return result;
    }

    private ChatOptions ToChatOptions(JsonObject p, string model)
    {
        var o = new ChatOptions { ModelId = model };
        if (Number(p["temperature"]) is { } temperature) o.Temperature = (float)temperature;
        if (Number(p["max_tokens"]) is { } maxTokens) o.MaxOutputTokens = (int)Math.Clamp(maxTokens, 1, int.MaxValue);
        if (Number(p["top_p"]) is { } topP) o.TopP = (float)topP;
        if (Number(p["top_k"]) is { } topK) o.TopK = (int)Math.Clamp(topK, 1, int.MaxValue);
        if (Number(p["seed"]) is { } seed) o.Seed = (long)seed;
        if (Number(p["frequency_penalty"]) is { } frequency) o.FrequencyPenalty = (float)frequency;
        if (Number(p["presence_penalty"]) is { } presence) o.PresencePenalty = (float)presence;
        switch (p["stop"])
        {
            case JsonValue v when v.TryGetValue<string>(out var one):
                o.StopSequences = [one];
                break;
            case JsonArray many:
                o.StopSequences = many.Select((n, i) => AsString(n, $"stop[{i}]")).ToList();
                break;
        }
        o.ToolMode = Str(p, "tool_choice") switch
        {
            "none" => ChatToolMode.None,
            "required" => ChatToolMode.RequireAny,
            "auto" => ChatToolMode.Auto,
            _ => null,
        };
        if (p["options"] is JsonObject extras && extras.Count > 0)
        {
            o.AdditionalProperties = [];
            foreach (var (key, value) in extras) o.AdditionalProperties[key] = ToClr(value);
        }
        return o;
    }

    // Provider extras as CLR values, which is what the Ollama and OpenAI clients expect to find in AdditionalProperties.
    private static object? ToClr(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number =>
            long.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var l) ? l : Number(v),
        _ => System.Text.Json.JsonDocument.Parse(node.ToJsonString()).RootElement.Clone(),
    };

    private async Task<List<AITool>> ResolveToolsAsync(JsonArray names, CancellationToken cancellationToken)
    {
        var tools = new List<AITool>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var problems = CheckToolName(names[i], _toolSources).ToList();
            if (problems.Count > 0) throw Invalid($"'tools[{i}]': {problems[0].Message}");
            var (source, server, tool) = ParseToolName(names[i]!.GetValue<string>(), _toolSources);
            foreach (var function in await source!.GetToolsAsync(server, tool, cancellationToken).ConfigureAwait(false))
            {
                if (seen.Add(function.Name)) tools.Add(function);
            }
        }
        return tools;
    }

    private static (ILlmToolSource? Source, string Server, string? Tool) ParseToolName(string name, ILlmToolSource[] sources)
    {
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon < 0 ? "" : name[..colon];
        var rest = colon < 0 ? name : name[(colon + 1)..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var server = slash < 0 ? rest : rest[..slash];
        var tool = slash < 0 ? null : rest[(slash + 1)..];
        return (sources.FirstOrDefault(s => s.Scheme == scheme), server, tool);
    }

    private static IEnumerable<ParameterProblem> CheckToolName(JsonNode? node, ILlmToolSource[] sources)
    {
        if (node is not JsonValue v || !v.TryGetValue<string>(out var name) || name.Length == 0)
        {
            yield return new(null, $"must be a string such as 'mcp:SERVER' or 'mcp:SERVER/TOOL', got {JsonTypes.Describe(node)}");
            yield break;
        }
        var (source, server, tool) = ParseToolName(name, sources);
        if (!name.Contains(':', StringComparison.Ordinal) || server.Length == 0 || tool is { Length: 0 })
        {
            yield return new(null, $"'{name}' is not a tool name: write 'mcp:SERVER' (every tool of a server) or 'mcp:SERVER/TOOL'");
            yield break;
        }
        if (source is null)
        {
            yield return new(null, sources.Length == 0
                ? $"'{name}' names tools, but no tool source is registered: add the MCP provider (AddMcp, or providers.mcp in the CLI's config) with the server"
                : $"'{name}': unknown tool source '{name[..name.IndexOf(':', StringComparison.Ordinal)]}'; known: {string.Join(", ", sources.Select(s => s.Scheme + ":"))}");
            yield break;
        }
        if (!source.Servers.Contains(server))
        {
            yield return new(null, $"'{name}': no {source.Scheme} server '{server}'{Spelling.DidYouMean(server, source.Servers)}; configured servers: "
                + (source.Servers.Count == 0 ? "none" : string.Join(", ", source.Servers)));
        }
    }

    private static IEnumerable<ParameterProblem> CheckTools(JsonNode value, bool referencesUnresolved, ILlmToolSource[] sources)
    {
        if (value is not JsonArray list) yield break;
        for (var i = 0; i < list.Count; i++)
        {
            if (referencesUnresolved && list[i] is JsonValue v && v.TryGetValue<string>(out var s) && s.Contains("${", StringComparison.Ordinal)) continue;
            foreach (var problem in CheckToolName(list[i], sources)) yield return problem with { Parameter = $"[{i}]", Message = $"tools[{i}]: {problem.Message}" };
        }
    }

    private static IEnumerable<ParameterProblem> CheckToolChoice(JsonNode value, bool referencesUnresolved)
    {
        var s = value.GetValue<string>();
        if (referencesUnresolved && s.Contains("${", StringComparison.Ordinal)) yield break;
        if (!ToolChoices.Contains(s)) yield return new(null, $"tool_choice must be one of {string.Join(", ", ToolChoices)}, got '{s}'");
    }

    private static IEnumerable<ParameterProblem> CheckAtLeast(JsonNode value, string name, double min)
    {
        if (Number(value) is { } n && n < min) yield return new(null, $"{name} must be at least {min.ToString(System.Globalization.CultureInfo.InvariantCulture)}, got {value.ToJsonString()}");
    }

    private async Task<JsonNode?> EmbedAsync(TaskInvocation invocation, IEmbeddingGenerator<string, Embedding<float>> generator, CancellationToken cancellationToken)
    {
        var p = invocation.Parameters;
        var model = Str(p, "model") ?? _options.EmbeddingModel
            ?? throw Invalid("no model for llm/embed: set the task parameter 'model' or LlmOptions.EmbeddingModel");
        List<string> inputs = p["input"] switch
        {
            JsonArray a => a.Select((n, i) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Invalid($"'input[{i}]' must be a string, got {JsonTypes.Describe(n)}")).ToList(),
            JsonValue v when v.TryGetValue<string>(out var s) => [s],
            var other => throw Invalid($"'input' must be a string or a list of strings, got {JsonTypes.Describe(other)}"),
        };
        if (inputs.Count == 0) throw Invalid("'input' is an empty list: give at least one text to embed");

        GeneratedEmbeddings<Embedding<float>> generated;
        try
        {
            generated = await generator.GenerateAsync(inputs, new EmbeddingGenerationOptions { ModelId = model }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw LlmErrors.Map(ex, _options.ServiceName, model, streamStarted: false);
        }
        if (generated.Count != inputs.Count)
        {
            throw new GleitzeitException(GleitzeitErrorCode.ProviderInvalidResponse,
                $"{_options.ServiceName} returned {generated.Count} embeddings for {inputs.Count} inputs (model '{model}').");
        }
        var vectors = new JsonArray();
        foreach (var e in generated)
        {
            var span = e.Vector.Span;
            var list = new JsonArray();
            foreach (var f in span) list.Add((JsonNode)JsonValue.Create((double)f));
            vectors.Add((JsonNode)list);
        }
        return new JsonObject
        {
            ["embeddings"] = vectors,
            ["model"] = generated.FirstOrDefault()?.ModelId ?? model,
        };
    }

    private List<ChatMessage> BuildMessages(JsonObject p)
    {
        var messages = new List<ChatMessage>();
        if (Str(p, "system") is { } system) messages.Add(new ChatMessage(ChatRole.System, system));
        if (p["messages"] is JsonArray list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not JsonObject m) throw Invalid($"'messages[{i}]' must be an object with 'role' and 'content', got {JsonTypes.Describe(list[i])}");
                var role = Str(m, "role") ?? "user";
                if (!Roles.Contains(role)) throw Invalid($"'messages[{i}].role' is '{role}'; use one of {string.Join(", ", Roles)}");
                var content = m["content"] switch
                {
                    null => "",
                    JsonValue v when v.TryGetValue<string>(out var s) => s,
                    var other => other.ToJsonString(),
                };
                var message = new ChatMessage(new ChatRole(role), content);
                if (m["images"] is JsonArray imgs)
                {
                    for (var j = 0; j < imgs.Count; j++) message.Contents.Add(DecodeBase64(imgs[j], $"messages[{i}].images[{j}]", _options.MaxImageBytes));
                }
                messages.Add(message);
            }
        }
        else if (p["messages"] is { } bad)
        {
            throw Invalid($"'messages' must be a list of {{role, content}} objects, got {JsonTypes.Describe(bad)}");
        }
        if (Str(p, "prompt") is { } prompt) messages.Add(new ChatMessage(ChatRole.User, prompt));
        if (!messages.Any(m => m.Role != ChatRole.System))
        {
            throw Invalid("nothing to ask: give 'prompt' or at least one user message in 'messages'");
        }
        return messages;
    }

    private async Task AppendFilesAsync(TaskInvocation invocation, List<ChatMessage> messages, CancellationToken cancellationToken)
    {
        var p = invocation.Parameters;
        var files = new List<(string Path, string Parameter)>();
        if (p["file_path"] is { } single) files.Add((AsString(single, "file_path"), "file_path"));
        if (p["files"] is JsonArray many)
        {
            for (var i = 0; i < many.Count; i++) files.Add((AsString(many[i], $"files[{i}]"), $"files[{i}]"));
        }
        else if (p["files"] is { } bad)
        {
            throw Invalid($"'files' must be a list of file paths, got {JsonTypes.Describe(bad)}");
        }
        if (files.Count == 0) return;

        var target = LastUser(messages);
        var text = new StringBuilder(target.Text);
        foreach (var (path, parameter) in files)
        {
            var full = Locate(invocation, path);
            var bytes = await ReadLimitedAsync(full, path, parameter, _options.MaxFileBytes, "text file", cancellationToken).ConfigureAwait(false);
            string content;
            try
            {
                if (bytes.AsSpan().Contains((byte)0)) throw new DecoderFallbackException();
                content = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Invalid($"'{parameter}': {full} is not a text file (it is binary or not UTF-8); attach images with llm/vision instead");
            }
            if (text.Length > 0) text.Append("\n\n");
            text.Append("--- File: ").Append(Path.GetFileName(full)).Append(" ---\n").Append(content.TrimEnd());
        }
        var images = target.Contents.Where(c => c is not TextContent).ToList();
        target.Contents.Clear();
        target.Contents.Add(new TextContent(text.ToString()));
        foreach (var image in images) target.Contents.Add(image);
    }

    private async Task<List<AIContent>> CollectImagesAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        var p = invocation.Parameters;
        var images = new List<AIContent>();
        var paths = new List<(string Path, string Parameter)>();
        if (p["image_path"] is { } single) paths.Add((AsString(single, "image_path"), "image_path"));
        if (p["image_paths"] is JsonArray many)
        {
            for (var i = 0; i < many.Count; i++) paths.Add((AsString(many[i], $"image_paths[{i}]"), $"image_paths[{i}]"));
        }
        else if (p["image_paths"] is { } bad)
        {
            throw Invalid($"'image_paths' must be a list of file paths, got {JsonTypes.Describe(bad)}");
        }
        foreach (var (path, parameter) in paths)
        {
            var full = Locate(invocation, path);
            var bytes = await ReadLimitedAsync(full, path, parameter, _options.MaxImageBytes, "image", cancellationToken).ConfigureAwait(false);
            var mediaType = ImageMediaTypes.Detect(bytes, full)
                ?? throw Invalid($"'{parameter}': {full} is not a png, jpeg, gif or webp image");
            images.Add(new DataContent(bytes, mediaType) { Name = Path.GetFileName(full) });
        }
        if (p["images"] is JsonArray encoded)
        {
            for (var i = 0; i < encoded.Count; i++) images.Add(DecodeBase64(encoded[i], $"images[{i}]", _options.MaxImageBytes));
        }
        else if (p["images"] is JsonValue one && one.TryGetValue<string>(out _))
        {
            images.Add(DecodeBase64(one, "images", _options.MaxImageBytes));
        }
        else if (p["images"] is { } bad)
        {
            throw Invalid($"'images' must be a list of base64 strings, got {JsonTypes.Describe(bad)}");
        }
        return images;
    }

    private static DataContent DecodeBase64(JsonNode? node, string parameter, long maxBytes)
    {
        var text = AsString(node, parameter).Trim();
        string? declared = null;
        if (text.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = text.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0) throw Invalid($"'{parameter}' is a data URL without data");
            declared = text[5..comma].Split(';')[0];
            text = text[(comma + 1)..];
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw Invalid($"'{parameter}' is not valid base64 image data");
        }
        if (bytes.Length > maxBytes) throw Invalid($"'{parameter}' is {bytes.Length} bytes; the limit is {maxBytes} (LlmOptions.MaxImageBytes)");
        var mediaType = ImageMediaTypes.Detect(bytes)
            ?? (declared is { Length: > 0 } && declared.StartsWith("image/", StringComparison.OrdinalIgnoreCase) ? declared : null)
            ?? throw Invalid($"'{parameter}' is not a png, jpeg, gif or webp image");
        return new DataContent(bytes, mediaType);
    }

    /// <summary>
    /// The file a path parameter names: resolved against the workflow's directory; when it is not there and the path is
    /// relative, the first parent directory that has it. The original resolved paths against the directory it ran in, so
    /// its examples (in <c>examples/</c>) say <c>examples/documents/notes.txt</c>.
    /// </summary>
    private static string Locate(TaskInvocation invocation, string path)
    {
        var full = invocation.ResolvePath(path);
        if (File.Exists(full) || Path.IsPathRooted(path) || invocation.BaseDirectory is null) return full;
        for (var dir = Directory.GetParent(invocation.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.GetFullPath(Path.Combine(dir.FullName, path));
            if (File.Exists(candidate)) return candidate;
        }
        return full;
    }

    private static async Task<byte[]> ReadLimitedAsync(string full, string given, string parameter, long maxBytes, string kind, CancellationToken cancellationToken)
    {
        try
        {
            return await BoundedFile.ReadAsync(full, maxBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (FileRefusedException ex) when (ex.Kind == FileKind.Missing)
        {
            var where = given == full ? "" : $" ('{given}' resolved against the workflow's directory)";
            throw Invalid($"'{parameter}': {kind} not found: {full}{where}");
        }
        catch (FileRefusedException ex)
        {
            var option = kind == "image" ? "LlmOptions.MaxImageBytes" : "LlmOptions.MaxFileBytes";
            var limit = ex.OverLimit ? $" for a {kind} ({option})" : "";
            throw Invalid($"'{parameter}': {full} {ex.Message}{limit}");
        }
    }

    private static ChatMessage LastUser(List<ChatMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == ChatRole.User) return messages[i];
        }
        var added = new ChatMessage(ChatRole.User, "");
        messages.Add(added);
        return added;
    }

    private static TimeSpan? ReportedDuration(ChatResponse response)
    {
        if (response.AdditionalProperties?.TryGetValue("total_duration", out var value) == true)
        {
            return value switch
            {
                TimeSpan t when t > TimeSpan.Zero => t,
                long ns when ns > 0 => TimeSpan.FromMilliseconds(ns / 1_000_000.0),
                _ => null,
            };
        }
        return null;
    }

    // Counts stay ints when they fit, so readers can take (int) as from any other JSON source.
    private static JsonNode Count(long value) => value is >= int.MinValue and <= int.MaxValue ? JsonValue.Create((int)value) : JsonValue.Create(value);

    // A JsonValue built from an int does not hand out a double, so numbers are read from their JSON text.
    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static string? Str(JsonObject obj, string name) => obj[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string AsString(JsonNode? node, string parameter) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : throw Invalid($"'{parameter}' must be a non-empty string, got {JsonTypes.Describe(node)}");

    private static GleitzeitException Invalid(string message) => new(GleitzeitErrorCode.TaskValidationFailed, message);

    private static ProtocolDescriptor CreateDescriptor(bool embeddings, ILlmToolSource[] toolSources)
    {
        ParameterSpec Model() => new("model", ParameterType.String, Description: "model name, e.g. llama3.2:latest (default from options)");
        ParameterSpec Messages() => new("messages", ParameterType.Array, Description: "conversation: [{role, content}]");
        ParameterSpec Prompt() => new("prompt", ParameterType.String, Description: "one user message (shorthand for messages)");
        ParameterSpec System() => new("system", ParameterType.String, Description: "system instruction, sent first");
        ParameterSpec FilePath() => new("file_path", ParameterType.String, Description: "text file appended to the last user message");
        ParameterSpec Files() => new("files", ParameterType.Array, Description: "text files appended to the last user message");
        ParameterSpec[] Sampling() =>
        [
            new("temperature", ParameterType.Number, Description: "sampling temperature") { Check = (v, _) => CheckAtLeast(v, "temperature", 0) },
            new("max_tokens", ParameterType.Integer, Description: "most tokens to generate") { Check = (v, _) => CheckAtLeast(v, "max_tokens", 1) },
            new("top_p", ParameterType.Number, Description: "nucleus sampling: the probability mass to sample from") { Check = (v, _) => CheckAtLeast(v, "top_p", 0) },
            new("top_k", ParameterType.Integer, Description: "sample from the k most likely tokens") { Check = (v, _) => CheckAtLeast(v, "top_k", 1) },
            new("stop", ParameterType.String | ParameterType.Array, Description: "text (or list of texts) that ends the answer"),
            new("seed", ParameterType.Integer, Description: "seed for reproducible sampling"),
            new("frequency_penalty", ParameterType.Number, Description: "penalty on tokens by how often they appeared"),
            new("presence_penalty", ParameterType.Number, Description: "penalty on tokens that appeared at all"),
            new("response_format", ParameterType.String | ParameterType.Object,
                Description: "text | json | {type: json_schema, schema, name}: the parsed (and checked) answer goes to result field 'result'")
            {
                Check = (v, unresolved) => StructuredOutput.Check(v, unresolved),
            },
            new("tools", ParameterType.Array, Description: "tools the model may call: 'mcp:SERVER' (every tool) or 'mcp:SERVER/TOOL'")
            {
                Check = (v, unresolved) => CheckTools(v, unresolved, toolSources),
            },
            new("tool_choice", ParameterType.String, Description: "auto (default) | none | required") { Check = CheckToolChoice },
            new("max_tool_calls", ParameterType.Integer, Description: "most tool calls in one task (default 10)") { Check = (v, _) => CheckAtLeast(v, "max_tool_calls", 1) },
            new("options", ParameterType.Object, Description: "provider-specific extras passed through (e.g. Ollama's num_ctx)"),
        ];
        string[] messagesOrPrompt = ["messages", "prompt"];

        var methods = new List<MethodDescriptor>
        {
            new("llm/chat", [Model(), Messages(), Prompt(), System(), .. Sampling(), FilePath(), Files()], "chat with a model")
            {
                RequireOneOf = [messagesOrPrompt],
            },
            new("llm/generate", [Model(), Prompt(), Messages(), System(), .. Sampling(), FilePath(), Files()], "complete one prompt")
            {
                RequireOneOf = [messagesOrPrompt],
            },
            new("llm/vision", [Model(), Messages(), Prompt(), System(), .. Sampling(),
                new ParameterSpec("image_path", ParameterType.String, Description: "image file (png, jpeg, gif, webp)"),
                new ParameterSpec("image_paths", ParameterType.Array, Description: "image files"),
                new ParameterSpec("images", ParameterType.Array | ParameterType.String, Description: "base64 images"),
                FilePath(), Files()], "ask a vision model about images")
            {
                RequireOneOf = [messagesOrPrompt],
            },
        };
        if (embeddings)
        {
            methods.Add(new MethodDescriptor("llm/embed",
                [Model(), new ParameterSpec("input", ParameterType.String | ParameterType.Array, Required: true, Description: "text or list of texts")],
                "embed texts as vectors"));
        }
        return new ProtocolDescriptor("llm", "v1", methods, "LLM chat, generation, vision and embeddings over Microsoft.Extensions.AI");
    }
}
