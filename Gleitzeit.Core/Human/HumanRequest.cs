using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Gleitzeit.Core.Human;

/// <summary>
/// What a <c>human/v1</c> task asks: its method, prompt, the schema of an input, and its timeout. While the task waits,
/// its stored result is this request (<see cref="ToWaitingResult"/>), so any process can show and answer it.
/// </summary>
internal sealed record HumanRequest(string Method, string Prompt, JsonObject? Schema, TimeSpan? Timeout, string OnTimeout)
{
    public const string Approval = "human/approval";
    public const string Input = "human/input";

    public bool IsApproval => Method == Approval;

    /// <summary>Problems with a task's parameters found before anything runs: (field under <c>parameters</c>, message).
    /// Values that are still <c>${...}</c> references are checked when the task starts.</summary>
    public static List<(string Field, string Message)> Check(string method, JsonObject parameters)
    {
        var problems = new List<(string, string)>();
        if (parameters["timeout"] is { } t && !IsReference(t) && ParseTimeout(t, out var error) is null) problems.Add(("timeout", error!));
        if (parameters["on_timeout"] is { } o && !IsReference(o))
        {
            if (CheckOnTimeout(method, o) is { } message) problems.Add(("on_timeout", message));
        }
        if (method == Input && parameters["schema"] is { } s && !IsReference(s) && CompileOrError(s, out _) is { } schemaError) problems.Add(("schema", schemaError));
        return problems;
    }

    /// <summary>The request of a task about to wait, from its resolved parameters; throws TASK_VALIDATION_FAILED naming the problem.</summary>
    public static HumanRequest Parse(string method, JsonObject parameters)
    {
        if (method is not (Approval or Input)) throw Invalid($"unknown method '{method}' of protocol human/v1: use {Approval} or {Input}");
        var prompt = parameters["prompt"] is JsonValue p && p.TryGetValue<string>(out var text) ? text : null;
        if (string.IsNullOrWhiteSpace(prompt)) throw Invalid("parameter 'prompt' must be a non-empty string: say what the person decides or enters");
        TimeSpan? timeout = null;
        if (parameters["timeout"] is { } t)
        {
            timeout = ParseTimeout(t, out var error) ?? throw Invalid(error!);
        }
        var onTimeout = "fail";
        if (parameters["on_timeout"] is { } o)
        {
            if (CheckOnTimeout(method, o) is { } message) throw Invalid(message);
            onTimeout = (string)o!;
        }
        JsonObject? schema = null;
        if (method == Input)
        {
            if (parameters["schema"] is not { } s) throw Invalid("parameter 'schema' is required: the JSON Schema the answer must match, e.g. { type: object, properties: { ... } }");
            if (CompileOrError(s, out _) is { } schemaError) throw Invalid(schemaError);
            schema = (JsonObject)s.DeepClone();
        }
        return new HumanRequest(method, prompt, schema, timeout, onTimeout);
    }

    /// <summary>The stored result of the waiting task: the request, when it started waiting and when its timeout decides.</summary>
    public JsonObject ToWaitingResult(DateTimeOffset since, DateTimeOffset? timeoutAt) => new()
    {
        ["awaiting"] = IsApproval ? "approval" : "input",
        ["method"] = Method,
        ["prompt"] = Prompt,
        ["schema"] = Schema?.DeepClone(),
        ["timeout_s"] = Timeout?.TotalSeconds,
        ["on_timeout"] = OnTimeout,
        ["waiting_since"] = Iso(since),
        ["timeout_at"] = timeoutAt is { } at ? Iso(at) : null,
    };

    /// <summary>Reads back what <see cref="ToWaitingResult"/> stored; null when the node is not such a request.</summary>
    public static WaitingTask? FromWaitingResult(JsonNode? result)
    {
        if (result is not JsonObject obj || obj["method"] is not JsonValue m || !m.TryGetValue<string>(out var method) || method is not (Approval or Input)) return null;
        var prompt = (string?)obj["prompt"] ?? "";
        var timeout = AsDouble(obj["timeout_s"]) is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var request = new HumanRequest(method, prompt, obj["schema"]?.DeepClone() as JsonObject, timeout, (string?)obj["on_timeout"] ?? "fail");
        return new WaitingTask(request, ParseTime(obj["waiting_since"]), ParseTime(obj["timeout_at"]));
    }

    /// <summary>The result of an approval: <c>{approved, by, comment, decided_at}</c> (plus <c>timed_out</c> when no person decided).</summary>
    public static JsonObject ApprovalResult(bool approved, string? by, string? comment, DateTimeOffset at, bool timedOut = false)
    {
        var result = new JsonObject { ["approved"] = approved, ["by"] = by, ["comment"] = comment, ["decided_at"] = Iso(at) };
        if (timedOut) result["timed_out"] = true;
        return result;
    }

    /// <summary>The result of an input: <c>{input, by, decided_at}</c>.</summary>
    public static JsonObject InputResult(JsonNode? input, string? by, DateTimeOffset at) => new()
    {
        ["input"] = input?.DeepClone(),
        ["by"] = by,
        ["decided_at"] = Iso(at),
    };

    /// <summary>The answer's problems against the schema, as "at $.path: message" lines; empty when it matches.</summary>
    public IReadOnlyList<string> ValidateInput(JsonNode? input)
    {
        if (Schema is null) return [];
        if (CompileOrError(Schema, out var schema) is { } error) return [$"the task's schema cannot be used: {error}"];
        using var document = JsonDocument.Parse(input?.ToJsonString() ?? "null");
        var results = schema!.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return [];
        var problems = new List<string>();
        foreach (var detail in results.Details ?? [])
        {
            if (detail.Errors is null) continue;
            foreach (var (keyword, message) in detail.Errors) problems.Add($"at {JsonPath(detail.InstanceLocation.ToString())}: {message} ({keyword})");
        }
        if (results.Errors is { } top)
        {
            foreach (var (keyword, message) in top) problems.Add($"at {JsonPath(results.InstanceLocation.ToString())}: {message} ({keyword})");
        }
        if (problems.Count == 0) problems.Add("at $: the value does not match the schema");
        return problems.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Builds the schema; returns why it cannot be built, or null.</summary>
    private static string? CompileOrError(JsonNode schemaNode, out JsonSchema? schema)
    {
        schema = null;
        if (schemaNode is not JsonObject and not JsonValue) return "the schema must be a JSON Schema object, e.g. { type: object, properties: { ... } }";
        if (schemaNode is JsonValue v && !(v.TryGetValue<bool>(out _))) return "the schema must be a JSON Schema object (or true / false)";
        try
        {
            using var document = JsonDocument.Parse(schemaNode.ToJsonString());
            // A registry of its own: a schema with an $id must not collide with the process-wide one.
            schema = JsonSchema.Build(document.RootElement.Clone(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
            return null;
        }
        catch (Exception ex) when (ex is JsonSchemaException or JsonException or ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            return $"invalid JSON Schema: {ex.Message}";
        }
    }

    private static string? CheckOnTimeout(string method, JsonNode node)
    {
        var value = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (method == Input)
        {
            return value == "fail" ? null : "on_timeout of human/input can only be 'fail' (there is no answer to assume): remove it, or use human/approval";
        }
        return value is "approve" or "reject" or "fail" ? null : $"on_timeout must be approve, reject or fail, got {node.ToJsonString()}";
    }

    /// <summary>Seconds as a number, or a text such as <c>90s</c>, <c>30m</c>, <c>2h</c>, <c>1d</c>.</summary>
    internal static TimeSpan? ParseTimeout(JsonNode node, out string? error)
    {
        error = null;
        double seconds;
        if (AsDouble(node) is { } n) seconds = n;
        else if (node is JsonValue sv && sv.TryGetValue<string>(out var text) && TryParseDuration(text.Trim(), out var parsed)) seconds = parsed;
        else
        {
            error = $"timeout must be seconds (a number) or a duration such as 90s, 30m, 2h, 1d; got {node.ToJsonString()}";
            return null;
        }
        if (!(seconds > 0) || double.IsInfinity(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            error = $"timeout must be positive, got {node.ToJsonString()}";
            return null;
        }
        return TimeSpan.FromSeconds(seconds);
    }

    private static bool TryParseDuration(string text, out double seconds)
    {
        seconds = 0;
        if (text.Length == 0) return false;
        var unit = text[^1];
        var factor = unit switch { 's' => 1d, 'm' => 60d, 'h' => 3600d, 'd' => 86400d, _ => 0d };
        var number = factor == 0 ? text : text[..^1];
        if (factor == 0) factor = 1;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return false;
        seconds = value * factor;
        return true;
    }

    private static double? AsDouble(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    private static bool IsReference(JsonNode node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Contains("${", StringComparison.Ordinal);

    /// <summary>A JSON Pointer (<c>/items/0/name</c>) as a JSON path (<c>$.items[0].name</c>).</summary>
    internal static string JsonPath(string pointer)
    {
        var sb = new StringBuilder("$");
        foreach (var raw in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var segment = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) sb.Append('[').Append(index).Append(']');
            else if (segment.All(c => char.IsLetterOrDigit(c) || c == '_')) sb.Append('.').Append(segment);
            else sb.Append("[\"").Append(segment.Replace("\"", "\\\"", StringComparison.Ordinal)).Append("\"]");
        }
        return sb.ToString();
    }

    internal static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset? ParseTime(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    private static GleitzeitException Invalid(string message) => new(GleitzeitErrorCode.TaskValidationFailed, message);
}

/// <summary>A stored waiting task's request, when it started waiting, and when its timeout decides.</summary>
internal sealed record WaitingTask(HumanRequest Request, DateTimeOffset? Since, DateTimeOffset? TimeoutAt);
