using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Batch;

/// <summary>
/// Where a batch task's file goes, shared by <see cref="BatchProcessor.CreateBatchWorkflow"/> and the YAML batch forms:
/// <c>image_path</c> for llm/vision, <c>context.file_path</c> for python/execute, otherwise <c>file_path</c>
/// (or the argument the caller names, e.g. for an MCP tool).
/// </summary>
internal static class BatchTaskParameters
{
    /// <summary>A copy of <paramref name="template"/> with <paramref name="file"/> placed for <paramref name="method"/>.</summary>
    public static JsonObject ForFile(string method, JsonObject template, string file, string? fileArgument = null)
    {
        var p = (JsonObject)template.DeepClone();
        if (fileArgument is not null)
        {
            p[fileArgument] = file;
            return p;
        }
        switch (method)
        {
            case "llm/vision":
                p["image_path"] = file;
                break;
            case "python/execute":
                var context = p["context"] as JsonObject ?? [];
                context["file_path"] = file;
                p["context"] = context;
                break;
            default:
                p["file_path"] = file;
                break;
        }
        return p;
    }
}
