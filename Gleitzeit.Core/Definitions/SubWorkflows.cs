using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Definitions;

/// <summary>
/// The validation of <c>workflow/run</c> tasks: the file they name exists and validates (its own errors shown with its
/// path, line and column), a registered name is known, and no chain of sub-workflows leads back to itself.
/// </summary>
internal static class SubWorkflows
{
    [ThreadStatic]
    private static List<string>? _chain;

    /// <summary>A file path (a separator, or a .yaml/.yml/.json extension) rather than a registered name.</summary>
    public static bool LooksLikeFile(string spec) => SubWorkflowFiles.LooksLikeFile(spec);

    /// <summary>The absolute path of a sub-workflow file: relative to the parent's directory (its file's), else the current one.</summary>
    public static string PathOf(Workflow parent, string spec) => SubWorkflowFiles.PathOf(parent, spec);

    public static string UnknownName(string name, IEnumerable<string> registered)
    {
        var known = registered.Order(StringComparer.Ordinal).ToList();
        return $"no workflow is registered as '{name}'" + (known.Count > 0 ? $" (registered: {string.Join(", ", known)}{Spelling.DidYouMean(name, known)})" : " (none is)")
            + "; register it with engine.RegisterWorkflow(name, workflow) or AddWorkflow on AddGleitzeit(), or give a file path ending in .yaml";
    }

    /// <summary>Checks a workflow/run task (the parameter <c>workflow</c>); adds what is wrong to <paramref name="errors"/>.</summary>
    public static void Validate(Workflow workflow, WorkflowTask task, ProviderRegistry? registry, List<ValidationError> errors)
    {
        if (task.Parameters["workflow"] is not System.Text.Json.Nodes.JsonValue value || !value.TryGetValue<string>(out var spec) || spec.Trim().Length == 0)
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, "workflow/run needs 'workflow': a workflow file (relative to this one) or a registered workflow's name", task.Id, "parameters"));
            return;
        }
        const string field = "parameters.workflow";
        if (spec.Contains("${", StringComparison.Ordinal))
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, "'workflow' must name a file or a registered workflow, not a reference: it is checked before anything runs", task.Id, field));
            return;
        }
        Workflow? child = null;
        string key;
        if (LooksLikeFile(spec))
        {
            var path = PathOf(workflow, spec);
            key = path;
            if (!File.Exists(path))
            {
                errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"sub-workflow file '{spec}' not found (looked at {path})", task.Id, field));
                return;
            }
            if (Enter(key, errors, task) is not { } leave) return;
            try
            {
                child = WorkflowLoader.LoadFile(path, registry: registry);
            }
            catch (WorkflowValidationException ex)
            {
                Report(spec, ex, task, errors);
            }
            finally
            {
                leave();
            }
            return;
        }
        if (WorkflowRunProvider.In(registry) is not { } provider) return; // names are known to an engine only
        var named = provider.Engine.RegisteredWorkflows;
        if (!named.TryGetValue(spec, out child))
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, UnknownName(spec, named.Keys), task.Id, field));
            return;
        }
        key = "workflow '" + spec + "'";
        if (Enter(key, errors, task) is not { } exit) return;
        try
        {
            WorkflowValidator.EnsureValid(child, registry, spec);
        }
        catch (WorkflowValidationException ex)
        {
            Report(spec, ex, task, errors);
        }
        finally
        {
            exit();
        }
    }

    /// <summary>Enters a sub-workflow for validation; null (and a cycle error) when it is already being validated further up.</summary>
    private static Action? Enter(string key, List<ValidationError> errors, WorkflowTask task)
    {
        var chain = _chain ??= [];
        var at = chain.IndexOf(key);
        if (at >= 0)
        {
            var cycle = chain.Skip(at).Append(key).Select(k => Path.IsPathRooted(k) ? Path.GetFileName(k) : k);
            errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowSubworkflowCycle,
                $"sub-workflows run each other in a cycle: {string.Join(" -> ", cycle)}", task.Id, "parameters.workflow"));
            return null;
        }
        chain.Add(key);
        return () => chain.RemoveAt(chain.Count - 1);
    }

    private static void Report(string spec, WorkflowValidationException ex, WorkflowTask task, List<ValidationError> errors)
    {
        var cycle = ex.Errors.FirstOrDefault(e => e.Code == GleitzeitErrorCode.WorkflowSubworkflowCycle);
        var details = string.Join(Environment.NewLine, ex.Errors.Select(e => "    " + e));
        errors.Add(new ValidationError(cycle?.Code ?? GleitzeitErrorCode.WorkflowValidationFailed,
            $"sub-workflow '{spec}' is invalid ({ex.Errors.Count} problem{(ex.Errors.Count == 1 ? "" : "s")}):{Environment.NewLine}{details}", task.Id, "parameters.workflow"));
    }
}
