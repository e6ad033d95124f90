using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gleitzeit.Core.Batch;
using Gleitzeit.Core.Definitions.Yaml;

namespace Gleitzeit.Core.Definitions.Reading;

/// <summary>
/// Turns drafts into the workflow's tasks: batch drafts become one task per file, dependencies on a batch task become
/// dependencies on all its copies, and each task keeps where it came from in the YAML (<see cref="Sources"/>, in task order).
/// </summary>
internal sealed class DraftExpander
{
    private readonly Dictionary<string, List<string>> _expanded = new(StringComparer.Ordinal);
    private readonly List<TaskSource> _sources = [];

    /// <summary>Where each task of the last <see cref="Expand"/> came from, by the task's index.</summary>
    public IReadOnlyList<TaskSource> Sources => _sources;

    /// <summary>
    /// Ordinary tasks stay as they are. A batch task <c>x</c> becomes <c>x_1</c>, <c>x_2</c>, ... (files in order), each
    /// with its file in <c>image_path</c> (llm/vision), <c>context.file_path</c> (python/execute) or <c>file_path</c>;
    /// a dependency on <c>x</c> means all of them.
    /// </summary>
    public List<WorkflowTask> Expand(List<TaskDraft> drafts)
    {
        var expanded = _expanded;
        foreach (var d in drafts)
        {
            if (d.BatchFiles is { } files) expanded[d.Id] = Enumerable.Range(1, files.Count).Select(n => $"{d.Id}_{n}").ToList();
        }
        var tasks = new List<WorkflowTask>();
        foreach (var d in drafts)
        {
            var deps = new List<string>();
            var depNodes = new List<YNode>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (dep, node) in d.Dependencies)
            {
                // A repeated dependency (also one repeated through an expansion) counts once.
                foreach (var e in expanded.TryGetValue(dep, out var all) ? all : [dep])
                {
                    if (!seen.Add(e)) continue;
                    deps.Add(e);
                    depNodes.Add(node);
                }
            }
            if (d.BatchFiles is null)
            {
                tasks.Add(Make(d, d.Id, d.Name, d.Parameters, deps, depNodes));
                continue;
            }
            for (var i = 0; i < d.BatchFiles.Count; i++)
            {
                var file = d.BatchFiles[i];
                var p = BatchTaskParameters.ForFile(d.Method, d.Parameters, file);
                FillFilePlaceholders(p, file);
                var name = $"{d.Name ?? d.Id} ({Path.GetFileName(file)})";
                tasks.Add(Make(d, expanded[d.Id][i], name, p, deps, depNodes));
            }
        }
        return tasks;
    }

    private WorkflowTask Make(TaskDraft d, string id, string? name, JsonObject parameters, List<string> deps, List<YNode> depNodes)
    {
        var source = new TaskSource(d.Source.Node);
        foreach (var (k, v) in d.Source.Fields) source.Fields[k] = v;
        source.DependencyNodes.AddRange(depNodes);
        _sources.Add(source);
        return new WorkflowTask
        {
            Id = id,
            Name = name,
            Method = d.Method,
            Protocol = d.Protocol ?? MethodNames.InferProtocol(d.Method) ?? "",
            Parameters = parameters,
            Dependencies = deps.ToList(),
            Priority = d.Priority,
            Timeout = d.Timeout,
            Retry = d.Retry,
            Provider = d.Provider,
            When = d.When,
            Join = d.Join,
            Loop = d.Loop,
        };
    }

    private static readonly Regex FilePlaceholder =
        new(@"(?<!\$)\$\{\s*(file_path|file_name)\s*\}", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>In an expanded task, <c>${file_path}</c> and <c>${file_name}</c> inside string parameters are the task's file (as the original's batch comments promise).</summary>
    private static void FillFilePlaceholders(JsonNode? node, string file)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (o[key] is JsonValue v && v.TryGetValue<string>(out var text)) o[key] = Fill(text, file);
                    else FillFilePlaceholders(o[key], file);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.TryGetValue<string>(out var text)) a[i] = Fill(text, file);
                    else FillFilePlaceholders(a[i], file);
                }
                break;
        }
    }

    private static string Fill(string text, string file) =>
        !text.Contains("${", StringComparison.Ordinal) ? text
        : FilePlaceholder.Replace(text, m => m.Groups[1].Value == "file_path" ? file : Path.GetFileName(file));

    /// <summary>A reference to a batch task by its original id cannot work: say what it became.</summary>
    public string ExplainExpanded(string message)
    {
        foreach (var (id, ids) in _expanded)
        {
            if (message.Contains($"unknown task '{id}'", StringComparison.Ordinal))
            {
                return message + $"; batch task '{id}' was expanded into one task per file ({ids[0]} ... {ids[^1]}): refer to one of those";
            }
        }
        return message;
    }
}
