using System.Text.Json.Nodes;
using Gleitzeit.Core.Batch;
using Gleitzeit.Core.Definitions.Yaml;

namespace Gleitzeit.Core.Definitions.Reading;

/// <summary>
/// Reads the original's two batch forms into drafts that carry their files: a task whose params hold <c>batch_mode: true</c>
/// (with <c>files</c>, <c>image_paths</c>, or <c>directory</c> + <c>file_pattern</c>), and a <c>type: batch</c> workflow
/// (<c>batch: {directory, pattern}</c> or <c>batch: {files}</c> with a <c>template:</c>). Folders are scanned here, relative
/// to the base directory; <see cref="DraftExpander"/> then makes one task per file.
/// </summary>
internal sealed class BatchForms(ReadErrors errors, FieldReader fields, string? baseDirectory)
{
    private static readonly string[] BatchKeys = ["directory", "pattern", "files"];

    /// <summary>Template keys that are task settings; every other key of a template is a parameter.</summary>
    private static readonly string[] TemplateTaskKeys = ["id", "name", "method", "protocol", "params", "parameters", "priority", "retry", "provider", "server"];

    /// <summary>Parameters that drive <c>batch_mode</c> expansion and are removed from the expanded tasks.</summary>
    private static readonly string[] BatchModeParams = ["batch_mode", "files", "image_paths", "directory", "file_pattern"];

    /// <summary><c>batch_mode: true</c> in a task's params: one task per file of <c>files</c>, <c>image_paths</c> or <c>directory</c> + <c>file_pattern</c>.</summary>
    public void ReadBatchMode(TaskDraft draft, YMapping? paramsNode)
    {
        var p = draft.Parameters;
        if (!p.TryGetPropertyValue("batch_mode", out var flag)) return;
        var flagNode = paramsNode?.Get("batch_mode");
        if (flag is not JsonValue fv || !fv.TryGetValue<bool>(out var on))
        {
            errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"batch_mode must be true or false, got {FieldReader.Show(flagNode)}", flagNode, draft.Id, "parameters.batch_mode");
            return;
        }
        if (!on)
        {
            p.Remove("batch_mode");
            return;
        }
        List<string>? files = null;
        foreach (var key in (string[])["files", "image_paths"])
        {
            if (!p.TryGetPropertyValue(key, out var list)) continue;
            var listNode = paramsNode?.Get(key);
            files = StringList(list, listNode, $"parameters.{key}", draft.Id);
            if (files is null) return;
            break;
        }
        if (files is null && p.TryGetPropertyValue("directory", out var dir))
        {
            var dirNode = paramsNode?.Get("directory");
            if (dir is not JsonValue dv || !dv.TryGetValue<string>(out var directory))
            {
                errors.Add(GleitzeitErrorCode.TaskValidationFailed, $"'directory' must be a path, got {FieldReader.Show(dirNode)}", dirNode, draft.Id, "parameters.directory");
                return;
            }
            var patternNode = paramsNode?.Get("file_pattern");
            var pattern = p["file_pattern"] is JsonValue pv && pv.TryGetValue<string>(out var pat) ? pat : "*";
            files = Scan(directory, pattern, dirNode, patternNode, draft.Id, "parameters.directory");
            if (files is null) return;
        }
        if (files is null)
        {
            errors.Add(GleitzeitErrorCode.TaskValidationFailed,
                "batch_mode: true needs the files to process: add 'files:' (text files), 'image_paths:' (images), or 'directory:' with 'file_pattern:'",
                flagNode, draft.Id, "parameters.batch_mode");
            return;
        }
        if (files.Count == 0)
        {
            errors.Add(GleitzeitErrorCode.TaskValidationFailed, "batch_mode: true with an empty file list: list at least one file", flagNode, draft.Id, "parameters.batch_mode");
            return;
        }
        foreach (var key in BatchModeParams) p.Remove(key);
        draft.BatchFiles = files;
    }

    /// <summary><c>type: batch</c> with <c>batch: {directory, pattern}</c> and a <c>template:</c>: one task per file found.</summary>
    public void ReadBatchForm(YMapping map, string? defaultProtocol, List<TaskDraft> drafts)
    {
        var batchNode = map.Get("batch");
        var templateNode = map.Get("template");
        if (batchNode is not YMapping)
        {
            errors.Add(GleitzeitErrorCode.WorkflowValidationFailed,
                batchNode is null ? "a batch workflow needs 'batch:' with 'directory:' and 'pattern:' (or 'files:')" : $"'batch' must be a mapping with 'directory:' and 'pattern:', got {batchNode.Kind}",
                batchNode ?? map, field: "batch");
        }
        if (templateNode is not YMapping template)
        {
            errors.Add(GleitzeitErrorCode.WorkflowValidationFailed,
                templateNode is null ? "a batch workflow needs 'template:' with at least 'method:' (and the parameters each task gets)" : $"'template' must be a mapping, got {templateNode.Kind}",
                templateNode ?? map, field: "template");
            return;
        }
        if (batchNode is not YMapping b) return;
        fields.CheckKeys(b, BatchKeys, "batch", GleitzeitErrorCode.WorkflowValidationFailed, null);

        var baseId = fields.OptionalString(template, "id", null) ?? fields.OptionalString(template, "name", null) ?? "batch";
        var method = fields.OptionalString(template, "method", null);
        if (method is null || method.Trim().Length == 0)
        {
            errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, "the batch template has no method: add e.g. 'method: llm/chat'", template.Get("method") ?? template, field: "template.method");
            return;
        }
        var parameters = new JsonObject();
        foreach (var (k, v) in template.Entries)
        {
            if (Array.IndexOf(TemplateTaskKeys, k.Value) < 0) parameters[k.Value] = YamlScalars.ToJson(v);
        }
        var explicitParams = template.Get("params") ?? template.Get("parameters");
        if (fields.Parameters(explicitParams, baseId) is { } extra)
        {
            foreach (var (k, v) in extra) parameters[k] = v?.DeepClone();
        }

        List<string>? files;
        if (b.Get("files") is { } filesNode)
        {
            files = StringList(YamlScalars.ToJson(filesNode), filesNode, "batch.files", null);
        }
        else
        {
            var dirNode = b.Get("directory");
            var directory = fields.OptionalString(b, "directory", null);
            if (directory is null)
            {
                errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, "'batch' needs 'directory:' (and 'pattern:', default '*') or 'files:'", b, field: "batch");
                return;
            }
            var pattern = fields.OptionalString(b, "pattern", null) ?? "*";
            files = Scan(directory, pattern, dirNode, b.Get("pattern"), null, "batch.directory");
        }
        if (files is null) return;
        if (files.Count == 0)
        {
            errors.Add(GleitzeitErrorCode.WorkflowValidationFailed, "'batch.files' is empty: list at least one file", b.Get("files") ?? b, field: "batch.files");
            return;
        }

        var source = new TaskSource(template);
        foreach (var (k, v) in template.Entries) source.Fields[k.Value is "params" ? "parameters" : k.Value] = v;
        source.Fields["parameters"] = explicitParams ?? template;
        var label = baseId;
        var provider = fields.OptionalString(template, "provider", label) ?? fields.OptionalString(template, "server", label);
        drafts.Add(new TaskDraft
        {
            Id = baseId,
            Name = fields.OptionalString(template, "name", label) is { } n && template.Get("id") is not null ? n : null,
            Method = method,
            Protocol = fields.OptionalString(template, "protocol", label) ?? defaultProtocol,
            Parameters = parameters,
            Priority = fields.Priority(template.Get("priority"), label),
            Retry = fields.Retry(template.Get("retry"), label),
            Provider = provider,
            Source = source,
            BatchFiles = files,
        });
    }

    private List<string>? Scan(string directory, string pattern, YNode? dirNode, YNode? patternNode, string? taskId, string field)
    {
        var root = Path.IsPathRooted(directory) ? directory : Path.Combine(baseDirectory ?? Directory.GetCurrentDirectory(), directory);
        IReadOnlyList<string> found;
        try
        {
            found = BatchFiles.Scan(root, pattern);
        }
        catch (DirectoryNotFoundException)
        {
            var relativeTo = Path.IsPathRooted(directory) ? "" : $" (relative paths resolve against the base directory {baseDirectory ?? Directory.GetCurrentDirectory()})";
            errors.Add(taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed,
                $"batch directory '{directory}' does not exist: looked for {Path.GetFullPath(root)}{relativeTo}", dirNode, taskId, field);
            return null;
        }
        if (found.Count == 0)
        {
            errors.Add(taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed,
                $"no file in '{directory}' matches '{pattern}' (* and ? match within one folder, **/ any folders below)", patternNode ?? dirNode, taskId, field);
            return null;
        }
        // Paths as the workflow wrote them: relative to the base directory when the directory was relative.
        var full = Path.GetFullPath(root);
        return found.Select(f => Path.IsPathRooted(directory) ? f : JoinRelative(directory, Path.GetRelativePath(full, f))).ToList();
    }

    private static string JoinRelative(string directory, string relative)
    {
        var dir = directory.Replace('\\', '/').TrimEnd('/');
        var rel = relative.Replace('\\', '/');
        return dir.Length == 0 || dir == "." ? rel : dir + "/" + rel;
    }

    private List<string>? StringList(JsonNode? list, YNode? node, string field, string? taskId)
    {
        var result = new List<string>();
        switch (list)
        {
            case JsonValue v when v.TryGetValue<string>(out var one):
                result.Add(one);
                return result;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue item && item.TryGetValue<string>(out var s) && s.Length > 0) result.Add(s);
                    else
                    {
                        var itemNode = node is YSequence seq && i < seq.Items.Count ? seq.Items[i] : node;
                        errors.Add(taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed,
                            $"each entry of '{field}' must be a file path, got {FieldReader.Show(itemNode)}", itemNode, taskId, field);
                        return null;
                    }
                }
                return result;
            default:
                errors.Add(taskId is null ? GleitzeitErrorCode.WorkflowValidationFailed : GleitzeitErrorCode.TaskValidationFailed,
                    $"'{field}' must be a list of file paths, got {node?.Kind ?? "nothing"}", node, taskId, field);
                return null;
        }
    }
}
