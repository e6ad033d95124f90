using System.Text.Json.Nodes;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Execution;

/// <summary>
/// References read outside a task's attempt: a foreach task's list, and the workflow's <c>outputs:</c>. Both read the
/// tasks' stored states and the run's inputs, as the reference stage does for a task's parameters.
/// </summary>
internal static class RunReferences
{
    /// <summary>The value a reference names; throws <see cref="GleitzeitException"/> saying what is missing.
    /// <paramref name="unfinishedAsNull"/>: a task without a result (skipped, say) reads as null instead.</summary>
    public static JsonNode? Lookup(Reference reference, IReadOnlyDictionary<string, TaskResult> tasks, IReadOnlyDictionary<string, JsonNode?> inputs, bool unfinishedAsNull = false)
    {
        if (reference.IsInput && !tasks.ContainsKey(Reference.InputsRoot))
        {
            var name = reference.Path.Count > 0 ? reference.Path[0].Field : null;
            if (name is null || !inputs.TryGetValue(name, out var value))
            {
                throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"{reference}: unknown input '{name}'");
            }
            return ReferenceResolver.Navigate(value, reference.Path.Skip(1).ToList(), "inputs." + name);
        }
        if (!tasks.TryGetValue(reference.Root, out var source) || source.Status != WorkflowTaskStatus.Completed)
        {
            if (unfinishedAsNull && source is not null) return null;
            throw new GleitzeitException(GleitzeitErrorCode.TaskDependencyFailed, $"{reference}: task '{reference.Root}' has no result");
        }
        return ReferenceResolver.Navigate(source.Result, reference.Path, reference.Root);
    }

    /// <summary>
    /// The workflow's outputs resolved against <paramref name="tasks"/>. <paramref name="strict"/>: a reference that cannot be
    /// resolved throws WORKFLOW_OUTPUT_FAILED naming the output; otherwise that output is null.
    /// </summary>
    public static IReadOnlyDictionary<string, JsonNode?> ResolveOutputs(Workflow workflow, IReadOnlyDictionary<string, TaskResult> tasks, IReadOnlyDictionary<string, JsonNode?> inputs, bool strict)
    {
        var outputs = new Dictionary<string, JsonNode?>(workflow.Outputs.Count, StringComparer.Ordinal);
        foreach (var (name, text) in workflow.Outputs)
        {
            try
            {
                var resolved = ReferenceResolver.Resolve(new JsonObject { ["v"] = text }, r => Lookup(r, tasks, inputs, unfinishedAsNull: true));
                outputs[name] = resolved["v"]?.DeepClone();
            }
            catch (GleitzeitException ex)
            {
                if (strict)
                {
                    throw new GleitzeitException(GleitzeitErrorCode.WorkflowOutputFailed, $"output '{name}' ({text}): {StripParameter(ex.Message)}", ex);
                }
                outputs[name] = null;
            }
        }
        return outputs;
    }

    private static string StripParameter(string message) =>
        message.StartsWith("parameter 'v': ", StringComparison.Ordinal) ? message["parameter 'v': ".Length..] : message;
}
