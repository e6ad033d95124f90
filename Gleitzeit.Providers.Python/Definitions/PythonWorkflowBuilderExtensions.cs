using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Definitions;

/// <summary>Adds <c>python/execute</c> tasks to a <see cref="WorkflowBuilder"/>.</summary>
public static class PythonWorkflowBuilderExtensions
{
    /// <summary>
    /// Adds a <c>python/execute</c> task running <paramref name="code"/> or the script <paramref name="file"/> (exactly one).
    /// <paramref name="context"/> (an object, anonymous type or dictionary) gives the code its variables; its values may be
    /// <c>${task.field}</c> references. <paramref name="timeout"/> limits the execution (default: PythonOptions.DefaultTimeout).
    /// </summary>
    [RequiresUnreferencedCode("An object context is serialized by reflection; use the overload taking a JsonObject context under trimming.")]
    [RequiresDynamicCode("An object context is serialized by reflection; use the overload taking a JsonObject context under Native AOT.")]
    public static WorkflowBuilder Python(this WorkflowBuilder builder, string id, string? code = null, string? file = null, object? context = null,
        TimeSpan? timeout = null, IEnumerable<string>? dependsOn = null, Action<TaskBuilder>? configure = null) =>
        builder.Python(id, context is null ? null : WorkflowBuilder.ToJson(context) as JsonObject
            ?? throw new ArgumentException($"Task '{id}': context must be an object with named values (an anonymous object, a dictionary, a JsonObject).", nameof(context)),
            code, file, timeout, dependsOn, configure);

    /// <summary>
    /// Adds a <c>python/execute</c> task as <see cref="Python(WorkflowBuilder, string, string?, string?, object?, TimeSpan?, IEnumerable{string}?, Action{TaskBuilder}?)"/>
    /// does, with the variables in <paramref name="context"/> (copied; values may be <c>${task.field}</c> references): no
    /// reflection, so safe under trimming and Native AOT.
    /// </summary>
    public static WorkflowBuilder Python(this WorkflowBuilder builder, string id, JsonObject? context, string? code = null, string? file = null,
        TimeSpan? timeout = null, IEnumerable<string>? dependsOn = null, Action<TaskBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (code is null == file is null)
        {
            throw new ArgumentException($"Task '{id}': give either code or file (exactly one) to Python(...).", code is null ? nameof(code) : nameof(file));
        }
        if (timeout is { } t && t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "must be positive");
        var parameters = new JsonObject();
        if (code is not null) parameters["code"] = code;
        if (file is not null) parameters["file"] = file;
        if (context is not null) parameters["context"] = context.DeepClone();
        if (timeout is { } limit) parameters["timeout"] = double.Parse(limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return builder.AddTask(id, "python/execute", parameters, task =>
        {
            if (dependsOn is not null) task.DependsOn([.. dependsOn]);
            configure?.Invoke(task);
        });
    }
}
