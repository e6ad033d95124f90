using System.Globalization;
using Gleitzeit.Core.Cost;
using Gleitzeit.Core.Definitions.Yaml;

namespace Gleitzeit.Core.Definitions.Reading;

/// <summary>Reads the cost-control keys of a workflow file: <c>budget:</c> (workflow) and <c>cache:</c> (workflow default and task).</summary>
internal sealed class CostFields(ReadErrors errors, FieldReader fields)
{
    private static readonly string[] BudgetKeys = ["max_tokens", "max_llm_calls"];
    private static readonly string[] CacheKeys = ["ttl", "enabled"];

    /// <summary><c>budget: { max_tokens: N, max_llm_calls: N }</c>; each limit a positive whole number.</summary>
    public WorkflowBudget? Budget(YNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case YScalar s when s.IsNull:
                return null;
            case YMapping m:
                fields.CheckKeys(m, BudgetKeys, "budget", GleitzeitErrorCode.WorkflowValidationFailed, null);
                var tokens = Positive(m.Get("max_tokens"), "budget.max_tokens", "tokens");
                var calls = Positive(m.Get("max_llm_calls"), "budget.max_llm_calls", "LLM calls");
                if (m.Entries.Count == 0)
                {
                    errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, "'budget' is empty: give 'max_tokens' and/or 'max_llm_calls'", m, field: "budget");
                }
                return tokens is null && calls is null ? null : new WorkflowBudget { MaxTokens = tokens, MaxLlmCalls = (int?)calls };
            default:
                errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, $"'budget' must be a mapping like {{ max_tokens: 20000, max_llm_calls: 10 }}, got {node.Kind}", node, field: "budget");
                return null;
        }
    }

    /// <summary><c>cache: true | false | { ttl: 1h }</c>.</summary>
    public TaskCachePolicy? Cache(YNode? node, string? taskId)
    {
        var code = FieldReader.Code(taskId);
        switch (node)
        {
            case null:
                return null;
            case YScalar s when s.IsNull:
                return null;
            case YScalar s when YamlScalars.ParseBool(s.Value) is { } on:
                return on ? TaskCachePolicy.Forever : TaskCachePolicy.Off;
            case YMapping m:
                fields.CheckKeys(m, CacheKeys, "cache", code, taskId);
                var enabled = fields.Bool(m.Get("enabled"), "cache.enabled", taskId) ?? true;
                if (!enabled) return TaskCachePolicy.Off;
                var ttlNode = m.Get("ttl");
                if (ttlNode is null || ttlNode is YScalar { IsNull: true }) return TaskCachePolicy.Forever;
                return Ttl(ttlNode, taskId) is { } ttl ? TaskCachePolicy.For(ttl) : null;
            default:
                errors.Add(code, $"'cache' must be true, false or a mapping like {{ ttl: 1h }}, got {FieldReader.Show(node)}", node, taskId, "cache");
                return null;
        }
    }

    private TimeSpan? Ttl(YNode node, string? taskId)
    {
        if (node is YScalar s && ParseDuration(s.Value) is { } ttl) return ttl;
        errors.Add(FieldReader.Code(taskId),
            $"'cache.ttl' must be a positive duration such as 90s, 30m, 1h, 7d or a number of seconds, got {FieldReader.Show(node)}", node, taskId, "cache");
        return null;
    }

    /// <summary>"90", "90s", "30m", "1h", "1.5h", "7d": a positive duration; null when it does not parse.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t.Length == 0) return null;
        var unit = t[^1] switch { 's' => 1.0, 'm' => 60.0, 'h' => 3600.0, 'd' => 86400.0, _ => 0.0 };
        var number = unit == 0 ? t : t[..^1];
        if (unit == 0) unit = 1;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || !double.IsFinite(n) || n <= 0) return null;
        var seconds = n * unit;
        return seconds > TimeSpan.MaxValue.TotalSeconds / 2 ? null : TimeSpan.FromSeconds(seconds);
    }

    private long? Positive(YNode? node, string field, string what)
    {
        if (node is null || node is YScalar { IsNull: true }) return null;
        if (node is YScalar s && long.TryParse(s.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            if (n > 0 && (field != "budget.max_llm_calls" || n <= int.MaxValue)) return n;
            errors.Add(GleitzeitErrorCode.WorkflowValidationFailed,
                $"'{field}' must be a positive number of {what}, got {n}: a budget of {n} would stop every LLM task; remove the key for no limit", node, field: "budget");
            return null;
        }
        errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, $"'{field}' must be a whole number of {what}, got {FieldReader.Show(node)}", node, field: "budget");
        return null;
    }
}
