using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Conditions;

/// <summary>
/// Evaluates a task's <see cref="WorkflowTask.When"/> and its loop's <see cref="TaskLoop.Until"/> at run time, the same
/// way for the engine and for Redis workers. A condition that cannot be evaluated (incomparable types, a missing field)
/// throws a <see cref="GleitzeitException"/> with <see cref="GleitzeitErrorCode.TaskConditionError"/> naming the
/// expression and the value: the task fails with it.
/// </summary>
public static class TaskConditions
{
    /// <summary>In <c>until</c>: the result of the iteration just finished.</summary>
    public const string SelfRoot = "self";

    /// <summary>In <c>until</c> and the loop task's parameters: the result of the iteration before (null at first).</summary>
    public const string PreviousRoot = "previous";

    /// <summary>In <c>until</c> and the loop task's parameters: the 1-based iteration number.</summary>
    public const string IterationRoot = "iteration";

    // Conditions are parsed at validation; at run time each distinct text is parsed once per process.
    private static readonly ConcurrentDictionary<string, ConditionExpression> Parsed = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether <paramref name="task"/> runs: true when it has no <see cref="WorkflowTask.When"/>, else the condition's value
    /// over <paramref name="results"/> (the stored states of at least the tasks it references) and <paramref name="inputs"/>.
    /// With <see cref="JoinMode.Any"/>, a dependency that did not complete reads as <c>null</c>.
    /// </summary>
    public static bool ShouldRun(WorkflowTask task, IReadOnlyDictionary<string, TaskResult> results, IReadOnlyDictionary<string, JsonNode?> inputs)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(inputs);
        if (task.When is not { } when) return true;
        var expression = Parse(when, "when");
        return ConditionEvaluator.Evaluate(expression, r => Lookup(task, r, results, inputs, loop: null), "when");
    }

    /// <summary>
    /// Whether a loop ends after iteration <paramref name="iteration"/> gave <paramref name="result"/>:
    /// the value of <see cref="TaskLoop.Until"/> with <c>${self}</c>, <c>${previous}</c> and <c>${iteration}</c> bound.
    /// </summary>
    public static bool LoopEnds(WorkflowTask task, JsonNode? result, int iteration, JsonNode? previous,
        IReadOnlyDictionary<string, TaskResult> results, IReadOnlyDictionary<string, JsonNode?> inputs)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(inputs);
        if (task.Loop is not { } loop) return true;
        var expression = Parse(loop.Until, "loop.until");
        var state = new LoopState(iteration, result, previous);
        return ConditionEvaluator.Evaluate(expression, r => Lookup(task, r, results, inputs, state), "loop.until");
    }

    /// <summary>The tasks the task's conditions read (not inputs, not the loop's own names), for reading their states.</summary>
    public static IReadOnlyCollection<string> ReferencedTasks(WorkflowTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var roots = new HashSet<string>(StringComparer.Ordinal);
        if (task.When is { } when) Collect(Parse(when, "when"), roots, loop: false);
        if (task.Loop is { } loop) Collect(Parse(loop.Until, "loop.until"), roots, loop: true);
        return roots;
    }

    private static void Collect(ConditionExpression expression, HashSet<string> roots, bool loop)
    {
        foreach (var node in expression.References)
        {
            var root = node.Reference.Root;
            if (loop && root is SelfRoot or PreviousRoot or IterationRoot) continue;
            roots.Add(root);
        }
    }

    private static ConditionExpression Parse(string text, string what)
    {
        if (Parsed.TryGetValue(text, out var known)) return known;
        try
        {
            var parsed = ConditionExpression.Parse(text);
            if (Parsed.Count < 10_000) Parsed.TryAdd(text, parsed);
            return parsed;
        }
        catch (ConditionSyntaxException ex)
        {
            // Validation refuses such a task; a definition stored by another version could still hold one.
            throw new GleitzeitException(GleitzeitErrorCode.TaskConditionError, $"{what} '{text}': {ex.Message}");
        }
    }

    /// <summary>The value of one reference inside a condition.</summary>
    private static JsonNode? Lookup(WorkflowTask task, Reference reference, IReadOnlyDictionary<string, TaskResult> results,
        IReadOnlyDictionary<string, JsonNode?> inputs, LoopState? loop)
    {
        if (loop is { } state)
        {
            switch (reference.Root)
            {
                case SelfRoot:
                    return ReferenceResolver.Navigate(state.Result, reference.Path, SelfRoot);
                case PreviousRoot:
                    return state.Previous is null ? null : ReferenceResolver.Navigate(state.Previous, reference.Path, PreviousRoot);
                case IterationRoot:
                    if (reference.Path.Count > 0) throw new GleitzeitException(GleitzeitErrorCode.TaskConditionError, $"{reference}: ${{iteration}} is a number and has no fields");
                    return IterationValue(state.Iteration);
            }
        }
        return ResolveReference(task, reference, results, inputs);
    }

    /// <summary>
    /// A reference's value for a task: an input, or a task's result. With <see cref="JoinMode.Any"/>, a task that did not
    /// complete (skipped, failed, or cut off by a skip before it finished) reads as <c>null</c>; otherwise it is an error naming the task.
    /// </summary>
    internal static JsonNode? ResolveReference(WorkflowTask task, Reference reference, IReadOnlyDictionary<string, TaskResult> results, IReadOnlyDictionary<string, JsonNode?> inputs)
    {
        if (reference.IsInput && !results.ContainsKey(Reference.InputsRoot))
        {
            var name = reference.Path.Count > 0 ? reference.Path[0].Field : null;
            if (name is null || !inputs.TryGetValue(name, out var value))
            {
                throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"{reference}: unknown input '{name}'");
            }
            return ReferenceResolver.Navigate(value, reference.Path.Skip(1).ToList(), "inputs." + name);
        }
        if (results.TryGetValue(reference.Root, out var source) && source.Status == WorkflowTaskStatus.Completed)
        {
            return ReferenceResolver.Navigate(source.Result, reference.Path, reference.Root);
        }
        if (task.Join == JoinMode.Any) return null;
        var why = source is null ? "has no result" : $"has no result (it is {source.Status.ToString().ToLowerInvariant()})";
        throw new GleitzeitException(GleitzeitErrorCode.TaskDependencyFailed, $"{reference}: task '{reference.Root}' {why}");
    }

    /// <summary>
    /// The iteration as a JSON number parsed from text, like a number from the wire: a value made from a CLR int does not
    /// convert to long or double for providers that read it so.
    /// </summary>
    internal static JsonNode IterationValue(int iteration) => JsonNode.Parse(iteration.ToString(System.Globalization.CultureInfo.InvariantCulture))!;

    private readonly record struct LoopState(int Iteration, JsonNode? Result, JsonNode? Previous);
}
