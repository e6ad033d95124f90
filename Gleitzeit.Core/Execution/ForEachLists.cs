using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Execution;

/// <summary>
/// What a foreach task's expansion means, wherever it runs: the ids of its items, the list it iterates, its aggregate
/// result and the error an item's failure gives it. Compiled into the engine and (linked, internal) into the Redis
/// workers, so both expand and conclude a foreach task the same way.
/// </summary>
internal static class ForEachLists
{
    /// <summary>The id of a foreach task's item: <c>research[3]</c>.</summary>
    public static string ItemId(string taskId, int index) => taskId + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    /// <summary>Splits an item id (<c>research[3]</c>) into its task id and index; false for any other id.</summary>
    public static bool TryParseItemId(string id, out string taskId, out int index)
    {
        taskId = "";
        index = -1;
        if (id.Length < 4 || id[^1] != ']') return false;
        var open = id.LastIndexOf('[');
        if (open <= 0) return false;
        var digits = id.AsSpan(open + 1, id.Length - open - 2);
        if (digits.Length == 0 || (digits.Length > 1 && digits[0] == '0')) return false;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9') return false;
        }
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out index)) return false;
        taskId = id[..open];
        return true;
    }

    /// <summary>The definition an item runs with: its task's, under the item's id, with nothing of the task's own control flow.</summary>
    public static WorkflowTask ItemDefinition(WorkflowTask task, int index) =>
        task with { Id = ItemId(task.Id, index), Name = null, Dependencies = [], ForEach = null, MaxConcurrency = null, When = null, Loop = null };

    /// <summary>The list a foreach task iterates: its literal, or the value its reference names (which must be a list).</summary>
    public static JsonArray Resolve(WorkflowTask task, IReadOnlyDictionary<string, TaskResult> results, IReadOnlyDictionary<string, JsonNode?> inputs)
    {
        var spec = task.ForEach;
        if (spec is JsonArray literal) return literal;
        var text = spec?.GetValue<string>() ?? "";
        var template = Template.Parse(text);
        var value = RunReferences.Lookup(template.References[0], results, inputs);
        if (value is JsonArray list) return list;
        throw new GleitzeitException(GleitzeitErrorCode.TaskForeachNotList,
            $"foreach {text}: the value is {Protocol.JsonTypes.Describe(value)}, not a list ({Excerpt(value)}); a foreach task iterates a list");
    }

    /// <summary>The roots <see cref="Resolve"/> reads (task ids, or <c>inputs</c>; none for a literal list).</summary>
    public static IReadOnlyList<string> ReferencedTasks(WorkflowTask task) =>
        task.ForEach is JsonValue v && v.TryGetValue<string>(out var text) ? Template.Parse(text).References.Select(r => r.Root).Distinct(StringComparer.Ordinal).ToList() : [];

    /// <summary>
    /// What <c>${index}</c> reads: the index as a JSON number parsed from text, so a provider may read it as any
    /// numeric type (a node made from a CLR int converts to int only).
    /// </summary>
    public static JsonNode IndexValue(int index) => JsonNode.Parse(index.ToString(CultureInfo.InvariantCulture))!;

    /// <summary>A foreach task's result: every item's result in order, and how many.</summary>
    public static JsonObject Aggregate(JsonArray results) => new() { ["results"] = results, ["count"] = results.Count };

    /// <summary>The error a foreach task fails with when its item <paramref name="itemId"/> failed for good.</summary>
    public static GleitzeitError ItemFailure(string itemId, GleitzeitError error) =>
        new(GleitzeitErrorCode.TaskItemFailed, $"item {itemId} failed: {error.CodeName}: {error.Message}", error.ToJson());

    private static string Excerpt(JsonNode? value)
    {
        var text = value?.ToJsonString() ?? "null";
        return text.Length > 80 ? text[..80] + "…" : text;
    }
}
