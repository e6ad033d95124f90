using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Batch;

/// <summary>Result of a batch: statistics and one entry per file. Serialize with <see cref="ToJson"/>, <see cref="ToMarkdown"/> or <see cref="SaveToFileAsync"/>.</summary>
public sealed record BatchResult
{
    /// <summary>The batch's generated id.</summary>
    public required string BatchId { get; init; }

    /// <summary>When the batch started.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Number of files in the batch.</summary>
    public int TotalFiles => Files.Count;

    /// <summary>Number of files whose task succeeded.</summary>
    public int Successful => Files.Count(f => f.Status == BatchFileStatus.Success);

    /// <summary>Number of files whose task failed.</summary>
    public int Failed => Files.Count(f => f.Status == BatchFileStatus.Failed);

    /// <summary>Files in batch order.</summary>
    public IReadOnlyList<BatchFileResult> Files { get; init; } = [];

    /// <summary>Wall-clock time of the whole batch.</summary>
    public TimeSpan Duration { get; init; }

    // Relaxed escaping keeps responses readable (no \u002B for '+', no escaped accents); the output is a file, not HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The result as JSON: <c>batch_id</c>, <c>created_at</c>, <c>total_files</c>, <c>successful</c>, <c>failed</c>,
    /// <c>duration_ms</c>, <c>files</c>: [{<c>path</c>, <c>status</c> (success|failed), <c>response</c>, <c>error</c>, <c>duration_ms</c>}].</summary>
    public string ToJson()
    {
        var files = new JsonArray();
        foreach (var f in Files)
        {
            files.Add((JsonNode)new JsonObject
            {
                ["path"] = f.Path,
                ["status"] = StatusName(f.Status),
                ["response"] = f.Response,
                ["error"] = f.Error,
                ["duration_ms"] = Ms(f.Duration),
            });
        }
        var root = new JsonObject
        {
            ["batch_id"] = BatchId,
            ["created_at"] = CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["total_files"] = TotalFiles,
            ["successful"] = Successful,
            ["failed"] = Failed,
            ["duration_ms"] = Ms(Duration),
            ["files"] = files,
        };
        return root.ToJsonString(Indented);
    }

    /// <summary>Reads a result written by <see cref="ToJson"/>. Throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static BatchResult FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("a batch result must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"a batch result is not valid JSON: {ex.Message}", ex);
        }
        var id = Str(root, "batch_id") ?? throw new FormatException("a batch result needs 'batch_id'");
        var created = Str(root, "created_at") is { } c ? DateTimeOffset.Parse(c, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : default;
        var files = new List<BatchFileResult>();
        if (root["files"] is JsonArray arr)
        {
            foreach (var item in arr)
            {
                if (item is not JsonObject f) throw new FormatException("each entry of 'files' must be an object");
                var status = Str(f, "status") switch
                {
                    "success" => BatchFileStatus.Success,
                    "failed" => BatchFileStatus.Failed,
                    var s => throw new FormatException($"unknown file status '{s}' (expected success or failed)"),
                };
                files.Add(new BatchFileResult
                {
                    Path = Str(f, "path") ?? throw new FormatException("each entry of 'files' needs 'path'"),
                    Status = status,
                    Response = Str(f, "response"),
                    Error = Str(f, "error"),
                    Duration = TimeSpan.FromMilliseconds(Num(f, "duration_ms")),
                });
            }
        }
        return new BatchResult { BatchId = id, CreatedAt = created, Files = files, Duration = TimeSpan.FromMilliseconds(Num(root, "duration_ms")) };
    }

    /// <summary>A readable report: a summary table, then each file with its response or error.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("# Batch report `").Append(BatchId).Append("`\n\n");
        sb.Append("| | |\n|---|---|\n");
        sb.Append("| Created | ").Append(CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)).Append(" |\n");
        sb.Append("| Files | ").Append(TotalFiles.ToString(CultureInfo.InvariantCulture)).Append(" |\n");
        sb.Append("| Successful | ").Append(Successful.ToString(CultureInfo.InvariantCulture)).Append(" |\n");
        sb.Append("| Failed | ").Append(Failed.ToString(CultureInfo.InvariantCulture)).Append(" |\n");
        sb.Append("| Duration | ").Append(Seconds(Duration)).Append(" |\n");
        if (Files.Count > 0)
        {
            sb.Append("\n| # | File | Status | Duration |\n|---:|---|---|---:|\n");
            for (var i = 0; i < Files.Count; i++)
            {
                var f = Files[i];
                sb.Append("| ").Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(" | ").Append(Cell(f.Path)).Append(" | ")
                    .Append(StatusName(f.Status)).Append(" | ").Append(Seconds(f.Duration)).Append(" |\n");
            }
        }
        for (var i = 0; i < Files.Count; i++)
        {
            var f = Files[i];
            sb.Append("\n## ").Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(". ").Append(System.IO.Path.GetFileName(f.Path))
                .Append(" (").Append(StatusName(f.Status)).Append(")\n\n");
            sb.Append('`').Append(f.Path).Append("`\n\n");
            if (f.Status == BatchFileStatus.Success) sb.Append(f.Response ?? "(no response)").Append('\n');
            else sb.Append("**Error:** ").Append(f.Error ?? "(unknown)").Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Writes <see cref="ToJson"/> (<c>.json</c>) or <see cref="ToMarkdown"/> (<c>.md</c>, <c>.markdown</c>) to <paramref name="path"/>, creating its folder.</summary>
    public async Task SaveToFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var text = System.IO.Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".json" => ToJson(),
            ".md" or ".markdown" => ToMarkdown(),
            var ext => throw new ArgumentException(
                $"cannot save a batch result as '{ext}' ({path}): use a .json or .md file name", nameof(path)),
        };
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) System.IO.Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(path, text, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
    }

    internal static string StatusName(BatchFileStatus s) => s == BatchFileStatus.Success ? "success" : "failed";

    private static long Ms(TimeSpan t) => (long)Math.Round(t.TotalMilliseconds);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double Num(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d : 0;
}
