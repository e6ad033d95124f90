using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Files;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Batch;

/// <summary>
/// Runs a folder of files (or a list) through one task each, in parallel, with a report. The batch runs as one workflow
/// on the <see cref="ExecutionEngine"/>: its concurrency bound is the request's <c>MaxConcurrent</c>, and retries come from the engine.
/// </summary>
public sealed class BatchProcessor
{
    /// <summary>Image types <c>Vision</c> batches accept.</summary>
    internal static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"];

    private const string ImagePattern = "*.png;*.jpg;*.jpeg;*.gif;*.webp;*.bmp";

    private readonly ExecutionEngine _engine;
    private readonly BatchOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a batch processor that runs each file's workflow on <paramref name="engine"/>, bounded by <paramref name="options"/>; <paramref name="timeProvider"/> stamps and times the batch (the system clock when null).</summary>
    public BatchProcessor(ExecutionEngine engine, IOptions<BatchOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        _engine = engine;
        _options = options.Value;
        _time = timeProvider ?? TimeProvider.System;
        BatchOptionsValidator.Instance.ThrowIfInvalid(_options, nameof(options));
    }

    /// <summary>
    /// Full paths of the files under <paramref name="directory"/> matching <paramref name="pattern"/> (<c>*</c> and <c>?</c> within a folder,
    /// <c>**</c> across folders, several patterns separated by <c>;</c> or <c>,</c>), sorted ordinally by relative path.
    /// Throws <see cref="DirectoryNotFoundException"/> naming the directory when it does not exist.
    /// </summary>
    public IReadOnlyList<string> ScanDirectory(string directory, string pattern = "*") => BatchFiles.Scan(directory, pattern);

    /// <summary>
    /// One task per file (ids <c>file_1</c>, <c>file_2</c>, ... in file order), all independent. The file goes to
    /// <c>file_path</c> for llm/chat and other llm methods (the provider appends the text to the prompt), <c>image_path</c> for
    /// llm/vision (sent as base64), <c>context.file_path</c> for python/execute, or <paramref name="fileArgument"/> when given
    /// (e.g. an MCP tool's argument). <paramref name="prompt"/> and <paramref name="model"/> are set for llm methods.
    /// </summary>
    public Workflow CreateBatchWorkflow(
        IReadOnlyList<string> files,
        string method,
        string? prompt = null,
        string? model = null,
        JsonObject? parameters = null,
        string? fileArgument = null,
        int? maxConcurrency = null,
        RetryPolicy? retry = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        if (files.Count == 0) throw new ArgumentException("a batch needs at least one file", nameof(files));
        if (maxConcurrency is < 1) throw new ArgumentOutOfRangeException(nameof(maxConcurrency), maxConcurrency, "a batch's MaxConcurrent must be at least 1");
        var protocol = MethodNames.InferProtocol(method)
            ?? throw new ArgumentException($"cannot tell the protocol of method '{method}': use llm/chat, llm/vision, python/execute, mcp/tool.NAME or tool.NAME", nameof(method));
        var template = (JsonObject?)parameters?.DeepClone() ?? [];
        if (method.StartsWith("llm/", StringComparison.Ordinal))
        {
            if (prompt is not null) template["prompt"] = prompt;
            if (model is not null) template["model"] = model;
        }
        var tasks = new List<WorkflowTask>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            tasks.Add(new WorkflowTask
            {
                Id = TaskId(i),
                Name = Path.GetFileName(files[i]),
                Protocol = protocol,
                Method = method,
                Parameters = BatchTaskParameters.ForFile(method, template, files[i], fileArgument),
                Retry = retry,
            });
        }
        return new Workflow
        {
            Name = name ?? "batch",
            Description = $"{method} over {files.Count} file(s)",
            Tasks = tasks,
            MaxConcurrency = maxConcurrency,
        };
    }

    /// <summary>
    /// Runs the batch: finds the files, checks each (text: UTF-8, not binary, at most <see cref="BatchOptions.MaxFileSize"/>;
    /// vision: a png/jpg/jpeg/gif/webp/bmp image) and fails the ones that do not pass with the reason before anything is sent,
    /// runs the rest with at most <see cref="BatchRequest.MaxConcurrent"/> at once, and reports each file. One failing file
    /// never stops the others. The result is saved as <c>&lt;batch_id&gt;.json</c> under <see cref="BatchOptions.ResultsDirectory"/>.
    /// Cancelling <paramref name="cancellationToken"/> cancels the run and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<BatchResult> ProcessBatchAsync(BatchRequest request, IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.MaxConcurrent is < 1) throw new ArgumentOutOfRangeException(nameof(request), request.MaxConcurrent, "BatchRequest.MaxConcurrent must be at least 1");
        if (request.MaxAttempts is < 1) throw new ArgumentOutOfRangeException(nameof(request), request.MaxAttempts, "BatchRequest.MaxAttempts must be at least 1");
        var started = _time.GetTimestamp();
        var createdAt = _time.GetUtcNow();
        var batchId = NewBatchId(createdAt);

        BatchResult? previous = request.ResumeFrom is { } resumeId ? await LoadAsync(resumeId, cancellationToken).ConfigureAwait(false) : null;
        var (files, refused) = await ResolveFilesAsync(request, previous, cancellationToken).ConfigureAwait(false);
        var method = request.Vision ? "llm/vision" : request.Method ?? "llm/chat";
        var isText = !request.Vision && method is "llm/chat" or "llm/generate";

        var outcomes = new BatchFileResult?[files.Count];
        if (previous is not null)
        {
            var done = previous.Files.Where(f => f.Status == BatchFileStatus.Success)
                .GroupBy(f => Path.GetFullPath(f.Path), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            for (var i = 0; i < files.Count; i++)
            {
                if (done.TryGetValue(Path.GetFullPath(files[i]), out var ok)) outcomes[i] = ok with { Path = files[i] };
            }
        }
        var skippedEarlier = outcomes.Count(o => o is not null);
        // Every file is checked before anything is sent; the checks read files, so they run in parallel.
        var problems = new string?[files.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count).Where(i => outcomes[i] is null),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount * 2), CancellationToken = cancellationToken },
            async (i, ct) => problems[i] = refused.TryGetValue(files[i], out var reason) ? reason : await CheckAsync(files[i], request.Vision, isText, ct).ConfigureAwait(false))
            .ConfigureAwait(false);
        var toRun = new List<int>();
        for (var i = 0; i < files.Count; i++)
        {
            if (outcomes[i] is not null) continue;
            if (problems[i] is null) toRun.Add(i);
            else outcomes[i] = new BatchFileResult { Path = files[i], Status = BatchFileStatus.Failed, Error = problems[i] };
        }

        var total = files.Count - skippedEarlier;
        var doneCount = total - toRun.Count;
        var failedCount = doneCount;
        void Report()
        {
            var elapsed = _time.GetElapsedTime(started);
            var ran = doneCount - (total - toRun.Count);
            TimeSpan? remaining = ran > 0 ? elapsed / ran * (total - doneCount) : doneCount == total ? TimeSpan.Zero : null;
            progress?.Report(new BatchProgress(doneCount, failedCount, total, elapsed, remaining));
        }
        Report();

        if (toRun.Count > 0)
        {
            var retry = request.MaxAttempts is { } attempts
                ? new RetryPolicy { MaxAttempts = attempts, InitialDelay = request.RetryDelay, Jitter = false }
                : null;
            var workflow = CreateBatchWorkflow(toRun.Select(i => files[i]).ToList(), method, request.Prompt, request.Model, request.Parameters,
                request.FileArgument, request.MaxConcurrent ?? _options.MaxConcurrent, retry, batchId);
            var gate = new object();
            var run = await _engine.RunAsync(workflow, new RunOptions
            {
                WorkflowId = batchId,
                OnEvent = e =>
                {
                    if (e is not (TaskCompleted or TaskFailed or TaskSkipped)) return;
                    lock (gate)
                    {
                        doneCount++;
                        if (e is not TaskCompleted) failedCount++;
                        Report();
                    }
                },
            }, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            for (var k = 0; k < toRun.Count; k++)
            {
                var i = toRun[k];
                run.Tasks.TryGetValue(TaskId(k), out var t);
                outcomes[i] = t?.Status == WorkflowTaskStatus.Completed
                    ? new BatchFileResult { Path = files[i], Status = BatchFileStatus.Success, Response = ResponseText(t.Result), Duration = t.Duration ?? TimeSpan.Zero }
                    : new BatchFileResult
                    {
                        Path = files[i],
                        Status = BatchFileStatus.Failed,
                        Error = t?.Error is { } err ? $"{err.CodeName}: {err.Message}" : $"not run ({t?.Status.ToString().ToLowerInvariant() ?? "missing"})",
                        Duration = t?.Duration ?? TimeSpan.Zero,
                    };
            }
        }

        var result = new BatchResult
        {
            BatchId = batchId,
            CreatedAt = createdAt,
            Files = outcomes.Select(o => o!).ToList(),
            Duration = _time.GetElapsedTime(started),
        };
        if (_options.ResultsDirectory is { } dir)
        {
            await result.SaveToFileAsync(Path.Combine(ExpandHome(dir), batchId + ".json"), cancellationToken).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>The batch's files, and the problem of each that a walk of its folder refused (a link out of the folder).</summary>
    private static async Task<(IReadOnlyList<string> Files, Dictionary<string, string> Refused)> ResolveFilesAsync(
        BatchRequest request, BatchResult? previous, CancellationToken cancellationToken)
    {
        if (request.Files is { Count: > 0 } files) return (files, []);
        if (request.Directory is { } dir)
        {
            // The walk runs off the caller's thread, so a caller (a CLI's signal handler) is never blocked behind a long scan.
            var scan = await Task.Run(() => BatchFiles.Walk(dir, request.Pattern ?? (request.Vision ? ImagePattern : "*"), request.FollowExternalLinks, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            var all = scan.Files.Concat(scan.Refused.Select(r => r.Path)).ToList();
            all.Sort(string.CompareOrdinal);
            return (all, scan.Refused.ToDictionary(r => r.Path, r => r.Reason, StringComparer.Ordinal));
        }
        if (previous is not null) return (previous.Files.Select(f => f.Path).ToList(), []);
        throw new ArgumentException("a batch needs files: set BatchRequest.Directory (with Pattern) or BatchRequest.Files", nameof(request));
    }

    private async Task<BatchResult> LoadAsync(string batchId, CancellationToken cancellationToken)
    {
        if (_options.ResultsDirectory is not { } dir)
        {
            throw new InvalidOperationException($"cannot resume batch '{batchId}': BatchOptions.ResultsDirectory is null, so no batch result was saved");
        }
        if (batchId.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || batchId.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{batchId}' is not a batch id (e.g. batch_20250101_120000_ab12cd34)", nameof(batchId));
        }
        var path = Path.Combine(ExpandHome(dir), batchId + ".json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"cannot resume batch '{batchId}': no saved result at {path} (results are saved under BatchOptions.ResultsDirectory)", path);
        }
        var json = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            return BatchResult.FromJson(json);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"cannot resume batch '{batchId}': {path} is not a batch result: {ex.Message}", ex);
        }
    }

    /// <summary>Why <paramref name="file"/> cannot be sent, or null. Never throws for a file: every problem is that file's error.</summary>
    private async Task<string?> CheckAsync(string file, bool vision, bool isText, CancellationToken cancellationToken)
    {
        try
        {
            if (vision) return CheckImage(file);
            if (isText) return await CheckTextAsync(file, cancellationToken).ConfigureAwait(false);
            BoundedFile.CheckRegular(file);
            return null;
        }
        catch (FileRefusedException ex)
        {
            return Refusal(file, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"{Path.GetFullPath(file)} cannot be read: {ex.Message}";
        }
    }

    private static string Refusal(string file, FileRefusedException ex) => ex.Kind switch
    {
        FileKind.Missing => $"file not found: {Path.GetFullPath(file)}",
        _ when ex.OverLimit => $"{Path.GetFullPath(file)} {ex.Message} (BatchOptions.MaxFileSize, batch.max_file_size)",
        _ => $"{Path.GetFullPath(file)} {ex.Message}",
    };

    private async Task<string?> CheckTextAsync(string file, CancellationToken cancellationToken)
    {
        var bytes = await BoundedFile.ReadAsync(file, _options.MaxFileSize, cancellationToken).ConfigureAwait(false);
        if (Array.IndexOf(bytes, (byte)0) >= 0) return "binary file (it contains NUL bytes): batch text methods take UTF-8 text; use Vision for images";
        try
        {
            _ = Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return "not UTF-8 text (binary or another encoding): convert it to UTF-8, or use Vision for images";
        }
        return null;
    }

    private static string? CheckImage(string file)
    {
        BoundedFile.CheckRegular(file);
        var ext = Path.GetExtension(file).ToLowerInvariant();
        return Array.IndexOf(ImageExtensions, ext) >= 0 ? null : $"'{ext}' is not an image type a vision batch takes (png, jpg, jpeg, gif, webp, bmp)";
    }

    private static readonly UTF8Encoding Strict = new(false, true);

    private static string TaskId(int index) => "file_" + (index + 1).ToString(CultureInfo.InvariantCulture);

    private static string NewBatchId(DateTimeOffset at) =>
        $"batch_{at.UtcDateTime.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture)}_{Guid.NewGuid().ToString("N")[..8]}";

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "")
            : path;

    /// <summary>The text answer of a task: <c>response</c> (llm, tools), else python's <c>result</c>, else the whole result as JSON.</summary>
    private static string? ResponseText(JsonNode? result)
    {
        if (result is JsonObject o)
        {
            if (o["response"] is JsonValue r && r.TryGetValue<string>(out var s)) return s;
            if (o.ContainsKey("result"))
            {
                return o["result"] switch
                {
                    null => o["output"] is JsonValue ov && ov.TryGetValue<string>(out var output) ? output : null,
                    JsonValue v when v.TryGetValue<string>(out var text) => text,
                    var other => other.ToJsonString(),
                };
            }
        }
        return result?.ToJsonString();
    }
}
