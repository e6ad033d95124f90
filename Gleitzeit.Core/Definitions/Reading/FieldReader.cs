using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions.Yaml;

namespace Gleitzeit.Core.Definitions.Reading;

/// <summary>
/// Reads single fields of a workflow file (text, seconds, whole numbers, flags, priorities, retry policies, parameter
/// mappings), checking each one's shape; a field of the wrong shape is an error at its node and reads as absent.
/// </summary>
internal sealed class FieldReader(ReadErrors errors)
{
    public static readonly string[] RetryKeys =
        ["max_attempts", "delay", "base_delay", "initial_delay", "backoff", "backoff_factor", "max_delay", "jitter"];

    public string? OptionalString(YMapping map, string key, string? taskId)
    {
        var node = map.Get(key);
        switch (node)
        {
            case null:
                return null;
            case YScalar s when s.IsNull:
                return null;
            case YScalar s:
                return s.Value;
            default:
                errors.Add(Code(taskId), $"'{key}' must be text, got {node.Kind}", node, taskId, key);
                return null;
        }
    }

    public TimeSpan? Seconds(YNode? node, string field, string? taskId, bool allowZero = false)
    {
        if (node is null || node is YScalar { IsNull: true }) return null;
        if (node is YScalar s && NumberOf(s) is { } seconds && double.IsFinite(seconds))
        {
            if (seconds < 0 || (!allowZero && seconds == 0) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                errors.Add(Code(taskId), $"'{field}' must be a {(allowZero ? "non-negative" : "positive")} number of seconds, got {s.Value}", node, taskId, field);
                return null;
            }
            return TimeSpan.FromSeconds(seconds);
        }
        errors.Add(Code(taskId), $"'{field}' must be a number of seconds, got {Show(node)}", node, taskId, field);
        return null;
    }

    public int? Integer(YNode? node, string field, string? taskId)
    {
        if (node is null || node is YScalar { IsNull: true }) return null;
        if (node is YScalar s && NumberOf(s) is { } n && n == Math.Floor(n) && n is >= int.MinValue and <= int.MaxValue) return (int)n;
        errors.Add(Code(taskId), $"'{field}' must be a whole number, got {Show(node)}", node, taskId, field);
        return null;
    }

    public bool? Bool(YNode? node, string field, string? taskId)
    {
        if (node is null || node is YScalar { IsNull: true }) return null;
        if (node is YScalar s && YamlScalars.ParseBool(s.Value) is { } b) return b;
        errors.Add(Code(taskId), $"'{field}' must be true or false, got {Show(node)}", node, taskId, field);
        return null;
    }

    /// <summary>A task's <c>params</c>: a mapping (or nothing, which is no parameters); null after reporting any other shape.</summary>
    public JsonObject? Parameters(YNode? node, string label)
    {
        switch (node)
        {
            case null:
                return [];
            case YScalar s when s.IsNull:
                return [];
            case YMapping m:
                return YamlScalars.ToObject(m);
            default:
                errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"'params' must be a mapping of parameter names to values, got {node.Kind}", node, label, "parameters");
                return null;
        }
    }

    public int Priority(YNode? node, string label)
    {
        if (node is null || node is YScalar { IsNull: true }) return TaskPriority.Normal;
        if (node is YScalar s && TaskPriority.TryParse(s.Value, out var p)) return p;
        errors.Add(GleitzeitErrorCode.TaskValidationFailed,
            $"priority must be low, normal, high, urgent or an integer, got {Show(node)}", node, label, "priority");
        return TaskPriority.Normal;
    }

    public RetryPolicy? Retry(YNode? node, string label)
    {
        switch (node)
        {
            case null:
                return null;
            case YScalar s when s.IsNull:
                return null;
            case YScalar s when YamlScalars.ToJson(s) is JsonValue v && v.TryGetValue<long>(out var attempts):
                return new RetryPolicy { MaxAttempts = (int)Math.Clamp(attempts, int.MinValue, int.MaxValue) };
            case YMapping m:
                CheckKeys(m, RetryKeys, "retry", GleitzeitErrorCode.TaskValidationFailed, label);
                var defaults = new RetryPolicy();
                var max = Integer(m.Get("max_attempts"), "retry.max_attempts", label) ?? defaults.MaxAttempts;
                var delay = Seconds(m.Get("delay") ?? m.Get("base_delay") ?? m.Get("initial_delay"), "retry.delay", label, allowZero: true) ?? defaults.InitialDelay;
                var maxDelay = Seconds(m.Get("max_delay"), "retry.max_delay", label, allowZero: true) ?? defaults.MaxDelay;
                var backoff = Backoff(m.Get("backoff") ?? m.Get("backoff_factor"), label) ?? defaults.BackoffFactor;
                var jitter = Bool(m.Get("jitter"), "retry.jitter", label) ?? defaults.Jitter;
                return new RetryPolicy { MaxAttempts = max, InitialDelay = delay, MaxDelay = maxDelay, BackoffFactor = backoff, Jitter = jitter };
            default:
                errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"'retry' must be a mapping (max_attempts, delay, backoff, max_delay, jitter), got {node.Kind}", node, label, "retry");
                return null;
        }
    }

    private double? Backoff(YNode? node, string label)
    {
        if (node is null || node is YScalar { IsNull: true }) return null;
        if (node is YScalar s)
        {
            switch (s.Value.Trim().ToLowerInvariant())
            {
                case "exponential": return 2.0;
                case "fixed" or "constant" or "none": return 1.0;
            }
            if (NumberOf(s) is { } d) return d;
        }
        errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"retry.backoff must be a factor ≥ 1 (e.g. 2) or 'exponential' / 'fixed', got {Show(node)}", node, label, "retry");
        return null;
    }

    /// <summary>Reports a second spelling of one field (<c>params</c> and <c>parameters</c>) at the second.</summary>
    public void Both(YMapping map, string a, string b, string? taskId)
    {
        if (map.GetKey(a) is null || map.GetKey(b) is not { } second) return;
        errors.Add(Code(taskId), $"both '{a}' and '{b}' are given: they mean the same, keep one", second, taskId, a);
    }

    /// <summary>Reports every key of <paramref name="map"/> that is not in <paramref name="known"/>, with the nearest known key.</summary>
    public void CheckKeys(YMapping map, string[] known, string what, GleitzeitErrorCode code, string? taskId)
    {
        foreach (var (key, _) in map.Entries)
        {
            if (Array.IndexOf(known, key.Value) >= 0) continue;
            var hint = Spelling.Suggest(key.Value, known) is { } s ? $"did you mean '{s}'?" : "known keys: " + string.Join(", ", known);
            errors.Add(code, $"unknown key '{key.Value}' in {what}: {hint}", key, taskId, key.Value);
        }
    }

    /// <summary>A number, also from quoted text such as <c>"30"</c> (the original coerced those).</summary>
    private static double? NumberOf(YScalar s) => YamlScalars.ToDouble(YamlScalars.ParseNumber(s.Value.Trim()));

    public static GleitzeitErrorCode Code(string? taskId) => taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed;

    /// <summary>A node as an error message shows it: a short quoted value, or its kind.</summary>
    public static string Show(YNode? node) => node switch
    {
        null => "nothing",
        YScalar { IsNull: true } => "null",
        YScalar s => $"'{(s.Value.Length > 40 ? s.Value[..40] + "…" : s.Value)}'",
        _ => node.Kind,
    };
}
