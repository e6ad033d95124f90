using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gleitzeit.Core;

namespace Gleitzeit.Cli.Rendering;

/// <summary>
/// A workflow's DAG as Mermaid (<c>flowchart LR</c>) or Graphviz DOT text; with a run, each task carries and is coloured by
/// its state, foreach items are counted under their task, and a task skipped by its condition is drawn dashed.
/// </summary>
internal static partial class GraphText
{
    /// <summary>TASK_CONDITION_FALSE.</summary>
    private const int ConditionFalseCode = -29009;

    private static readonly Dictionary<string, (string Fill, string Stroke)> Colours = new(StringComparer.Ordinal)
    {
        ["pending"] = ("#f2f4f7", "#98a2b3"),
        ["queued"] = ("#eef2f6", "#7a8ca8"),
        ["running"] = ("#eff4ff", "#2e6bd9"),
        ["retrying"] = ("#fffaeb", "#d97706"),
        ["waiting"] = ("#f4f3ff", "#7c3aed"),
        ["completed"] = ("#ecfdf3", "#1f9254"),
        ["failed"] = ("#fef3f2", "#c4320a"),
        ["skipped"] = ("#fefbe8", "#b8a04a"),
        ["condition"] = ("#f9fafb", "#98a2b3"),
        ["cancelled"] = ("#f2f4f7", "#7d7d7d"),
    };

    /// <summary>One task of the drawing.</summary>
    public sealed record Node(string Id, string Label, string Method, IReadOnlyList<string> Dependencies, string? Status, bool SkippedByCondition, string? Items);

    public static IReadOnlyList<Node> Nodes(Workflow workflow, WorkflowRun? run)
    {
        var items = new Dictionary<string, List<TaskResult>>(StringComparer.Ordinal);
        if (run is not null)
        {
            foreach (var (id, t) in run.Tasks)
            {
                if (ItemId().Match(id) is { Success: true } m && workflow.Tasks.Any(w => w.Id == m.Groups[1].Value))
                {
                    if (!items.TryGetValue(m.Groups[1].Value, out var list)) items[m.Groups[1].Value] = list = [];
                    list.Add(t);
                }
            }
        }
        return workflow.Tasks.Select(task =>
        {
            TaskResult? state = null;
            if (run is not null) state = run.Tasks.TryGetValue(task.Id, out var s) ? s : TaskResult.Pending(task.Id);
            var status = state?.Status.ToString().ToLowerInvariant();
            var byCondition = state is { Status: WorkflowTaskStatus.Skipped, Error: { } e } && (int)e.Code == ConditionFalseCode;
            string? count = null;
            if (items.TryGetValue(task.Id, out var group))
            {
                var done = group.Count(i => i.Status == WorkflowTaskStatus.Completed);
                var failed = group.Count(i => i.Status == WorkflowTaskStatus.Failed);
                count = $"{done}/{group.Count} items" + (failed > 0 ? $", {failed} failed" : "");
            }
            return new Node(task.Id, task.DisplayName, task.Method, task.Dependencies, status, byCondition, count);
        }).ToList();
    }

    public static string Mermaid(IReadOnlyList<Node> nodes)
    {
        var ids = nodes.Select((n, i) => (n.Id, Key: "t" + i.ToString(CultureInfo.InvariantCulture))).ToDictionary(x => x.Id, x => x.Key, StringComparer.Ordinal);
        var text = new StringBuilder("flowchart LR\n");
        foreach (var n in nodes)
        {
            var lines = new List<string> { n.Label };
            if (n.Label != n.Id) lines.Add("(" + n.Id + ")");
            lines.Add(n.Method);
            if (n.Status is not null) lines.Add(StatusText(n));
            if (n.Items is not null) lines.Add(n.Items);
            text.Append("    ").Append(ids[n.Id]).Append("[\"").Append(string.Join("<br/>", lines.Select(MermaidEscape))).Append("\"]\n");
        }
        foreach (var n in nodes)
        {
            foreach (var d in n.Dependencies.Where(ids.ContainsKey)) text.Append("    ").Append(ids[d]).Append(" --> ").Append(ids[n.Id]).Append('\n');
        }
        var used = nodes.Where(n => n.Status is not null).Select(ClassOf).Distinct().ToList();
        foreach (var c in used)
        {
            var (fill, stroke) = Colours.GetValueOrDefault(c, ("#ffffff", "#667085"));
            text.Append("    classDef ").Append(c).Append(" fill:").Append(fill).Append(",stroke:").Append(stroke).Append(",stroke-width:2px")
                .Append(c is "skipped" or "condition" ? ",stroke-dasharray:5 3" : "").Append('\n');
        }
        foreach (var group in nodes.Where(n => n.Status is not null).GroupBy(ClassOf))
        {
            text.Append("    class ").Append(string.Join(",", group.Select(n => ids[n.Id]))).Append(' ').Append(group.Key).Append('\n');
        }
        return text.ToString();
    }

    public static string Dot(string name, IReadOnlyList<Node> nodes)
    {
        var text = new StringBuilder();
        text.Append("digraph ").Append(DotString(name)).Append(" {\n");
        text.Append("    rankdir=LR;\n    node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\"];\n");
        foreach (var n in nodes)
        {
            var lines = new List<string> { n.Label };
            if (n.Label != n.Id) lines.Add("(" + n.Id + ")");
            lines.Add(n.Method);
            if (n.Status is not null) lines.Add(StatusText(n));
            if (n.Items is not null) lines.Add(n.Items);
            text.Append("    ").Append(DotString(n.Id)).Append(" [label=").Append(DotString(string.Join("\n", lines)));
            if (n.Status is not null)
            {
                var (fill, stroke) = Colours.GetValueOrDefault(ClassOf(n), ("#ffffff", "#667085"));
                text.Append(", fillcolor=\"").Append(fill).Append("\", color=\"").Append(stroke).Append("\", penwidth=2");
                if (ClassOf(n) is "skipped" or "condition") text.Append(", style=\"rounded,filled,dashed\"");
            }
            text.Append("];\n");
        }
        var known = nodes.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            foreach (var d in n.Dependencies.Where(known.Contains)) text.Append("    ").Append(DotString(d)).Append(" -> ").Append(DotString(n.Id)).Append(";\n");
        }
        return text.Append("}\n").ToString();
    }

    public static JsonObject Json(string name, string? workflowId, string format, IReadOnlyList<Node> nodes, string text) => new()
    {
        ["name"] = name,
        ["workflow_id"] = workflowId,
        ["format"] = format,
        ["nodes"] = new JsonArray(nodes.Select(n => (JsonNode)new JsonObject
        {
            ["id"] = n.Id,
            ["label"] = n.Label,
            ["method"] = n.Method,
            ["dependencies"] = new JsonArray(n.Dependencies.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
            ["status"] = n.Status,
            ["skipped_by_condition"] = n.SkippedByCondition,
            ["items"] = n.Items,
        }).ToArray()),
        ["text"] = text,
    };

    private static string StatusText(Node n) => n.SkippedByCondition ? "skipped (condition)" : n.Status!;

    private static string ClassOf(Node n) => n.SkippedByCondition ? "condition" : n.Status!;

    /// <summary>Mermaid label text: quotes and markup characters as entity codes, control characters as spaces.</summary>
    private static string MermaidEscape(string s)
    {
        var text = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            text.Append(c switch
            {
                '"' => "#quot;",
                '<' => "#lt;",
                '>' => "#gt;",
                '&' => "#amp;",
                '#' => "#35;",
                _ when char.IsControl(c) => " ",
                _ => c.ToString(),
            });
        }
        return text.ToString();
    }

    /// <summary>A DOT double-quoted string: backslashes and quotes escaped, line breaks as <c>\n</c>, other controls as spaces.</summary>
    private static string DotString(string s)
    {
        var text = new StringBuilder("\"", s.Length + 2);
        foreach (var c in s)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                _ when char.IsControl(c) => " ",
                _ => c.ToString(),
            });
        }
        return text.Append('"').ToString();
    }

    [GeneratedRegex(@"^(.+)\[(\d+)\]$", RegexOptions.CultureInvariant)]
    private static partial Regex ItemId();
}
