using System.Text.Json.Nodes;
using Gleitzeit.Core.Conditions;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Definitions;

/// <summary>
/// The checks every workflow passes before anything runs, whether it came from YAML, the builder or code:
/// tasks present, ids unique, dependencies known and acyclic, references well-formed and pointing at dependencies,
/// and (given a registry) methods known and parameters of the right types. O(tasks + edges) plus the references.
/// </summary>
public static class WorkflowValidator
{
    /// <summary>Every problem found; empty when the workflow can run.</summary>
    public static IReadOnlyList<ValidationError> Validate(Workflow workflow, ProviderRegistry? registry = null) => Validate(workflow, registry, owners: null);

    /// <summary>
    /// Every problem found; <paramref name="owners"/>, when given, receives for each problem the index of the task it belongs
    /// to (-1 for the workflow itself), so that two tasks sharing an id can be told apart.
    /// </summary>
    internal static IReadOnlyList<ValidationError> Validate(Workflow workflow, ProviderRegistry? registry, List<int>? owners)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        var errors = new List<ValidationError>();
        // Each problem belongs to the task being checked when it was added: Own(i) after each task's checks marks them.
        void Own(int taskIndex)
        {
            while (owners is not null && owners.Count < errors.Count) owners.Add(taskIndex);
        }

        if (string.IsNullOrWhiteSpace(workflow.Name))
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed, "the workflow has no name: add 'name: ...'", Field: "name"));
        }
        if (workflow.Tasks.Count == 0)
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed, "the workflow has no tasks: add a 'tasks:' list with at least one task", Field: "tasks"));
            Own(-1);
            return errors;
        }
        if (workflow.MaxConcurrency is <= 0) errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed, "max_concurrency must be at least 1", Field: "max_concurrency"));
        if (workflow.Budget?.Problem() is { } budgetProblem) errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed, "budget: " + budgetProblem, Field: "budget"));
        if (workflow.Timeout is { } wt && wt <= TimeSpan.Zero) errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed, "timeout must be positive", Field: "timeout"));
        Own(-1);

        var index = new Dictionary<string, int>(workflow.Tasks.Count, StringComparer.Ordinal);
        for (var i = 0; i < workflow.Tasks.Count; i++)
        {
            var task = workflow.Tasks[i];
            if (string.IsNullOrWhiteSpace(task.Id))
            {
                errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"task #{i + 1} has no id: give it 'id:' or 'name:'", Field: "id"));
                Own(i);
                continue;
            }
            if (!index.TryAdd(task.Id, i))
            {
                errors.Add(new ValidationError(GleitzeitErrorCode.TaskAlreadyExists, $"duplicate task id '{task.Id}' (tasks #{index[task.Id] + 1} and #{i + 1}): task ids must be unique", task.Id, "id"));
            }
            ValidateTaskFields(task, errors);
            Own(i);
        }

        // Every dependency is looked up by id here, once: the cycle check, the reachability of references and the
        // references to direct dependencies read the graph by index (in a 100,000-task workflow a lookup by id is a cache
        // miss or more, and there were three per edge).
        var graph = new DependencyGraph(workflow);
        for (var i = 0; i < workflow.Tasks.Count; i++)
        {
            var task = workflow.Tasks[i];
            for (var d = 0; d < task.Dependencies.Count; d++)
            {
                var dep = task.Dependencies[d];
                if (dep == task.Id)
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowCircularDependency, $"task '{task.Id}' depends on itself", task.Id, $"dependencies[{d}]"));
                }
                else if (index.TryGetValue(dep, out var target))
                {
                    graph.Set(i, d, target);
                }
                else
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed,
                        $"unknown dependency '{dep}'{Spelling.DidYouMean(dep, index.Keys.Where(k => k != task.Id))}", task.Id, $"dependencies[{d}]"));
                }
            }
            Own(i);
        }
        if (errors.Count == 0 && FindCycle(workflow, graph) is { } cycle)
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowCircularDependency,
                $"circular dependency: {string.Join(" -> ", cycle)}", cycle[0], $"dependencies[{IndexOf(workflow.Tasks[index[cycle[0]]].Dependencies, cycle[1])}]"));
            Own(index[cycle[0]]);
        }

        var reachability = new Reachability(workflow, graph);
        for (var i = 0; i < workflow.Tasks.Count; i++)
        {
            var task = workflow.Tasks[i];
            ValidateReferences(workflow, task, i, index, graph, reachability, errors);
            ValidateConditions(workflow, task, i, index, reachability, errors);
            if (registry is not null) ValidateMethod(task, registry, errors);
            if (task.Method == Execution.WorkflowRunProvider.MethodName && errors.Count == 0) SubWorkflows.Validate(workflow, task, registry, errors);
            Own(i);
        }
        ValidateOutputs(workflow, index, errors);
        Own(-1);
        return errors;
    }

    /// <summary>Throws <see cref="WorkflowValidationException"/> listing every problem, if there are any.</summary>
    public static void EnsureValid(Workflow workflow, ProviderRegistry? registry = null, string? source = null)
    {
        var errors = Validate(workflow, registry);
        if (errors.Count > 0) throw new WorkflowValidationException(errors, source);
    }

    private static void ValidateTaskFields(WorkflowTask task, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(task.Method))
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, "the task has no method: add e.g. 'method: llm/chat'", task.Id, "method"));
        }
        if (string.IsNullOrWhiteSpace(task.Protocol))
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed,
                $"no protocol given and none can be inferred from method '{task.Method}': add e.g. 'protocol: myproto/v1'", task.Id, "protocol"));
        }
        if (task.Timeout is { } t && t <= TimeSpan.Zero) errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, "timeout must be positive", task.Id, "timeout"));
        if (task.MaxConcurrency is { } bound)
        {
            if (bound < 1) errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"max_concurrency must be at least 1, got {bound}: it bounds how many items of this foreach task run at once", task.Id, "max_concurrency"));
            else if (task.ForEach is null) errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, "max_concurrency bounds the items of a foreach task, and this task has no 'foreach:': add one or remove max_concurrency", task.Id, "max_concurrency"));
        }
        switch (task.ForEach)
        {
            case null:
            case JsonArray:
                break;
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String:
                var text = v.GetValue<string>();
                Template? template = null;
                try
                {
                    template = Template.Parse(text);
                }
                catch (FormatException ex)
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"malformed reference in foreach: {ex.Message}", task.Id, "foreach"));
                }
                if (template is not null && !template.IsSingleReference)
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed,
                        $"foreach must be a list, or exactly one reference to a list such as \"${{plan.result}}\"; got the text '{text}'", task.Id, "foreach"));
                }
                break;
            default:
                errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed,
                    $"foreach must be a list (a YAML sequence) or a reference to one such as \"${{plan.result}}\"; got {Protocol.JsonTypes.Describe(task.ForEach)}", task.Id, "foreach"));
                break;
        }
        if (task.Retry is { } r)
        {
            if (r.MaxAttempts < 1) errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, "retry.max_attempts must be at least 1", task.Id, "retry"));
            if (r.BackoffFactor < 1) errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, "retry.backoff must be at least 1", task.Id, "retry"));
            if (r.InitialDelay < TimeSpan.Zero) errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, "retry.delay must not be negative", task.Id, "retry"));
        }
    }

    /// <summary>Kahn's algorithm; when nodes are left, walks dependency edges among them until one repeats. Only called
    /// when every dependency names another task (a repeated one is an edge counted twice, both ways).</summary>
    private static List<string>? FindCycle(Workflow workflow, DependencyGraph graph)
    {
        var n = workflow.Tasks.Count;
        var remaining = new int[n];
        for (var i = 0; i < n; i++) remaining[i] = graph.Count(i);
        var (dependentStart, dependents) = graph.Dependents;
        var queue = new int[n];
        int head = 0, tail = 0;
        for (var i = 0; i < n; i++) if (remaining[i] == 0) queue[tail++] = i;
        while (head < tail)
        {
            var i = queue[head++];
            for (var k = dependentStart[i]; k < dependentStart[i + 1]; k++)
            {
                if (--remaining[dependents[k]] == 0) queue[tail++] = dependents[k];
            }
        }
        if (tail == n) return null;

        var start = Array.FindIndex(remaining, r => r > 0);
        var seenAt = new Dictionary<int, int>();
        var path = new List<int>();
        var current = start;
        while (!seenAt.ContainsKey(current))
        {
            seenAt[current] = path.Count;
            path.Add(current);
            current = graph.Targets(current).ToArray().First(d => remaining[d] > 0);
        }
        var cycle = path.Skip(seenAt[current]).Select(i => workflow.Tasks[i].Id).ToList();
        cycle.Add(workflow.Tasks[current].Id);
        return cycle;
    }

    private static int IndexOf(IReadOnlyList<string> list, string item)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == item) return i;
        return 0;
    }

    /// <summary>Every string holding <c>${</c> with its parameter path (<c>messages[0].content</c>).</summary>
    private static void CollectTemplateStrings(JsonNode? node, string path, ref List<(string Path, string Text)>? found)
    {
        switch (node)
        {
            case JsonObject o:
                for (var i = 0; i < o.Count; i++)
                {
                    var (key, value) = o.GetAt(i);
                    CollectTemplateStrings(value, path.Length == 0 ? key : $"{path}.{key}", ref found);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) CollectTemplateStrings(a[i], $"{path}[{i}]", ref found);
                break;
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String:
                var text = v.GetValue<string>();
                if (Template.MayContainReferences(text)) (found ??= []).Add((path, text));
                break;
        }
    }

    /// <summary>The field an error names for a template at <paramref name="path"/> (made only for an error).</summary>
    private static string FieldOf(string path) => path == ForEachField ? "foreach" : "parameters." + path;

    /// <summary>Each output is a template whose references name a task of the workflow (any one: outputs are read when the
    /// run completes) or an input.</summary>
    private static void ValidateOutputs(Workflow workflow, Dictionary<string, int> index, List<ValidationError> errors)
    {
        foreach (var (name, text) in workflow.Outputs)
        {
            var field = "outputs." + name;
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed, "an output has an empty name", Field: "outputs"));
                continue;
            }
            Template template;
            try
            {
                template = Template.Parse(text ?? "");
            }
            catch (FormatException ex)
            {
                errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed, $"malformed reference in output '{name}': {ex.Message}", Field: field));
                continue;
            }
            foreach (var reference in template.References)
            {
                if (reference.IsInput && !index.ContainsKey(Reference.InputsRoot))
                {
                    var input = reference.Path.Count > 0 ? reference.Path[0].Field : null;
                    if (input is null || !workflow.Inputs.ContainsKey(input))
                    {
                        errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed, $"output '{name}': {reference} names no declared input", Field: field));
                    }
                    continue;
                }
                if (!index.ContainsKey(reference.Root))
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed,
                        $"output '{name}': {reference} refers to unknown task '{reference.Root}'{Spelling.DidYouMean(reference.Root, index.Keys)}", Field: field));
                }
            }
        }
    }

    private const string ForEachField = "\u0000foreach";
    private const string ItemRoot = "item";
    private const string IndexRoot = "index";

    private static void ValidateReferences(Workflow workflow, WorkflowTask task, int taskIndex, Dictionary<string, int> index, DependencyGraph graph, Reachability reachability, List<ValidationError> errors)
    {
        // Every task of every run passes here: nothing is allocated for a task without templates, and a field name only
        // for an error.
        List<(string Path, string Text)>? strings = null;
        CollectTemplateStrings(task.Parameters, "", ref strings);
        // The foreach reference follows the same rules (its field is "foreach", not a parameter).
        if (task.ForEach is JsonValue fe && fe.GetValueKind() == System.Text.Json.JsonValueKind.String && Template.MayContainReferences(fe.GetValue<string>()))
        {
            (strings ??= []).Add((ForEachField, fe.GetValue<string>()));
        }
        if (strings is null) return;
        var templates = new (string Path, Template Template)[strings.Count];
        var parsed = 0;
        foreach (var (path, text) in strings)
        {
            Template template;
            try
            {
                template = Template.Parse(text);
            }
            catch (FormatException ex)
            {
                // The foreach's is reported by ValidateTaskFields when it does not parse.
                if (path != ForEachField)
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"malformed reference in parameter '{path}': {ex.Message}", task.Id, "parameters." + path));
                }
                continue;
            }
            templates[parsed++] = (path, template);
        }
        // A set of the direct dependencies, so that a task reading many of them is not quadratic (a fan-in of n); a few are scanned.
        var direct = task.Dependencies.Count > 8 ? new HashSet<string>(task.Dependencies, StringComparer.Ordinal) : null;
        for (var t = 0; t < parsed; t++)
        {
            var (path, template) = templates[t];
            var references = template.References;
            for (var r = 0; r < references.Count; r++)
            {
                var reference = references[r];
                if (reference.Root is ItemRoot or IndexRoot && !index.ContainsKey(reference.Root))
                {
                    // ${item} and ${index}: the element and position of a foreach task's item, nowhere else.
                    if (path == ForEachField)
                    {
                        errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed,
                            $"foreach cannot use {reference}: ${{item}} and ${{index}} are what the foreach makes; refer to a dependency's list such as \"${{plan.result}}\"", task.Id, FieldOf(path)));
                    }
                    else if (task.ForEach is null)
                    {
                        errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed,
                            $"{reference} is only defined in a foreach task (one with 'foreach:'): add 'foreach:' to this task, or refer to a task's result", task.Id, FieldOf(path)));
                    }
                    else if (reference.Root == IndexRoot && reference.Path.Count > 0)
                    {
                        errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"{reference}: ${{index}} is a number and has no fields", task.Id, FieldOf(path)));
                    }
                    continue;
                }
                if (reference.Root is ItemRoot or IndexRoot && task.ForEach is not null && path != ForEachField) continue;
                if (reference.IsInput && !index.ContainsKey(Reference.InputsRoot))
                {
                    var name = reference.Path.Count > 0 ? reference.Path[0].Field : null;
                    if (name is null)
                    {
                        errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"{reference} names no input: write ${{inputs.NAME}}", task.Id, FieldOf(path)));
                    }
                    else if (!workflow.Inputs.ContainsKey(name))
                    {
                        errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed,
                            $"{reference}: unknown input '{name}'" + (workflow.Inputs.Count > 0 ? $"; inputs: {string.Join(", ", workflow.Inputs.Keys)}" : "; declare it under 'inputs:'"),
                            task.Id, FieldOf(path)));
                    }
                    continue;
                }
                if (task.Loop is not null && reference.Root is TaskConditions.IterationRoot or TaskConditions.PreviousRoot) continue;
                // A direct dependency among a few is found among them (its index known); any other root by id.
                var rootIndex = direct is null ? graph.DirectDependency(taskIndex, reference.Root) : -1;
                if (rootIndex >= 0) continue;
                if (!index.TryGetValue(reference.Root, out rootIndex))
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, UnknownRoot(reference, index, inUntil: false), task.Id, FieldOf(path)));
                }
                else if (reference.Root == task.Id)
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"{reference} refers to the task itself", task.Id, FieldOf(path)));
                }
                else if (!(direct?.Contains(reference.Root) ?? false) && !reachability.DependsOn(taskIndex, rootIndex))
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed,
                        $"{reference} refers to task '{reference.Root}', which is not a dependency: add it to dependencies", task.Id, FieldOf(path)));
                }
            }
        }
    }

    private static string UnknownRoot(Reference reference, Dictionary<string, int> index, bool inUntil) => reference.Root switch
    {
        TaskConditions.IterationRoot or TaskConditions.PreviousRoot when !inUntil =>
            $"{reference} is only available in a task with 'loop:' (its iteration number and the previous iteration's result)",
        TaskConditions.SelfRoot => $"{reference} is only available in 'loop.until' (the result of the iteration just finished); in parameters read ${{previous.…}}",
        _ => $"{reference} refers to unknown task '{reference.Root}'{Spelling.DidYouMean(reference.Root, index.Keys)}",
    };

    /// <summary>
    /// <c>when</c> and <c>loop.until</c>: they parse, and every reference names an input, a dependency, or (in
    /// <c>until</c>) the loop's <c>self</c>, <c>previous</c> and <c>iteration</c>; <c>max_iterations</c> is at least 1.
    /// </summary>
    private static void ValidateConditions(Workflow workflow, WorkflowTask task, int taskIndex, Dictionary<string, int> index, Reachability reachability, List<ValidationError> errors)
    {
        if (task.When is { } when) ValidateCondition(workflow, task, taskIndex, when, "when", inUntil: false, index, reachability, errors);
        if (task.Loop is not { } loop) return;
        if (loop.MaxIterations < 1)
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"loop.max_iterations must be at least 1, got {loop.MaxIterations}", task.Id, "loop.max_iterations"));
        }
        if (string.IsNullOrWhiteSpace(loop.Until))
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, "loop.until is missing: add the condition that ends the loop, e.g. until: \"${self.score} >= 8\"", task.Id, "loop.until"));
        }
        else
        {
            ValidateCondition(workflow, task, taskIndex, loop.Until, "loop.until", inUntil: true, index, reachability, errors);
        }
        for (var d = 0; d < task.Dependencies.Count; d++)
        {
            if (task.Dependencies[d] is TaskConditions.SelfRoot or TaskConditions.PreviousRoot or TaskConditions.IterationRoot)
            {
                errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed,
                    $"a loop task cannot depend on a task named '{task.Dependencies[d]}': inside a loop that name means the loop's own state; rename the task", task.Id, $"dependencies[{d}]"));
            }
        }
    }

    private static void ValidateCondition(Workflow workflow, WorkflowTask task, int taskIndex, string text, string field, bool inUntil,
        Dictionary<string, int> index, Reachability reachability, List<ValidationError> errors)
    {
        ConditionExpression expression;
        try
        {
            expression = ConditionExpression.Parse(text);
        }
        catch (ConditionSyntaxException ex)
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"{field} does not parse: {ex.Message}", task.Id, field));
            return;
        }
        var direct = new HashSet<string>(task.Dependencies, StringComparer.Ordinal);
        foreach (var node in expression.References)
        {
            var reference = node.Reference;
            var at = $" (at column {node.Start + 1} of the expression)";
            if (inUntil && reference.Root is TaskConditions.SelfRoot or TaskConditions.PreviousRoot or TaskConditions.IterationRoot)
            {
                if (reference.Root == TaskConditions.IterationRoot && reference.Path.Count > 0)
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"{field}: {reference} has a path, but ${{iteration}} is a number{at}", task.Id, field));
                }
                continue;
            }
            if (reference.IsInput && !index.ContainsKey(Reference.InputsRoot))
            {
                var name = reference.Path.Count > 0 ? reference.Path[0].Field : null;
                if (name is null || !workflow.Inputs.ContainsKey(name))
                {
                    errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed,
                        $"{field}: {reference}: " + (name is null ? "names no input: write ${inputs.NAME}" : $"unknown input '{name}'" + (workflow.Inputs.Count > 0 ? $"; inputs: {string.Join(", ", workflow.Inputs.Keys)}" : "; declare it under 'inputs:'")) + at,
                        task.Id, field));
                }
                continue;
            }
            if (!index.TryGetValue(reference.Root, out var rootIndex))
            {
                errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"{field}: {UnknownRoot(reference, index, inUntil)}{at}", task.Id, field));
            }
            else if (reference.Root == task.Id)
            {
                var hint = inUntil ? ": write ${self.…} for the iteration's result" : ": a task's condition is checked before it runs, so it cannot read its own result";
                errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, $"{field}: {reference} refers to the task itself{hint}{at}", task.Id, field));
            }
            else if (!direct.Contains(reference.Root) && !reachability.DependsOn(taskIndex, rootIndex))
            {
                errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed,
                    $"{field}: {reference} refers to task '{reference.Root}', which is not a dependency: add it to dependencies{at}", task.Id, field));
            }
        }
    }

    /// <summary>
    /// Answers "does task t depend on task a transitively?" (callers check direct dependencies with a set first). The set
    /// of tasks below <c>a</c> is computed once (O(tasks + edges)) and kept, so a workflow whose tasks all reference one
    /// early task costs one walk, not one per task.
    /// </summary>
    private sealed class Reachability(Workflow workflow, DependencyGraph graph)
    {
        private readonly Dictionary<int, System.Collections.BitArray> _below = [];

        public bool DependsOn(int task, int ancestor)
        {
            if (!_below.TryGetValue(ancestor, out var below)) _below[ancestor] = below = Below(ancestor);
            return below[task];
        }

        private System.Collections.BitArray Below(int root)
        {
            var (start, dependents) = graph.Dependents;
            var seen = new System.Collections.BitArray(workflow.Tasks.Count);
            var stack = new Stack<int>();
            stack.Push(root);
            while (stack.TryPop(out var i))
            {
                for (var k = start[i]; k < start[i + 1]; k++)
                {
                    var d = dependents[k];
                    if (seen[d]) continue;
                    seen[d] = true;
                    stack.Push(d);
                }
            }
            return seen;
        }
    }

    /// <summary>
    /// Each task's dependencies as listed, by task index (-1 for one naming no other task), in one flat array: filled
    /// while the dependencies are checked, the only lookups of them by id.
    /// </summary>
    private sealed class DependencyGraph
    {
        private readonly Workflow _workflow;
        private readonly int[] _start;
        private readonly int[] _targets;
        private (int[] Start, int[] Dependents)? _dependents;

        public DependencyGraph(Workflow workflow)
        {
            _workflow = workflow;
            _start = new int[workflow.Tasks.Count + 1];
            for (var i = 0; i < workflow.Tasks.Count; i++) _start[i + 1] = _start[i] + workflow.Tasks[i].Dependencies.Count;
            _targets = new int[_start[^1]];
            Array.Fill(_targets, -1);
        }

        /// <summary>The task's dependency at <paramref name="position"/> names task <paramref name="target"/>.</summary>
        public void Set(int task, int position, int target) => _targets[_start[task] + position] = target;

        public int Count(int task) => _start[task + 1] - _start[task];

        public ReadOnlySpan<int> Targets(int task) => _targets.AsSpan(_start[task], Count(task));

        /// <summary>The index of <paramref name="id"/> when the task lists it as a dependency and it names another task
        /// of the workflow; -1 otherwise (callers with many dependencies use a set instead of this scan).</summary>
        public int DirectDependency(int task, string id)
        {
            var dependencies = _workflow.Tasks[task].Dependencies;
            for (var d = 0; d < dependencies.Count; d++)
            {
                if (string.Equals(dependencies[d], id, StringComparison.Ordinal)) return _targets[_start[task] + d];
            }
            return -1;
        }

        /// <summary>Each task's dependents (the tasks listing it), in the same flat form, built once (the cycle check and
        /// the reachability of references both walk it); dependencies naming no task are left out.</summary>
        public (int[] Start, int[] Dependents) Dependents => _dependents ??= BuildDependents();

        private (int[] Start, int[] Dependents) BuildDependents()
        {
            var n = _workflow.Tasks.Count;
            var start = new int[n + 1];
            foreach (var target in _targets)
            {
                if (target >= 0) start[target + 1]++;
            }
            for (var i = 0; i < n; i++) start[i + 1] += start[i];
            var dependents = new int[start[n]];
            var fill = start[..n];
            for (var i = 0; i < n; i++)
            {
                foreach (var target in Targets(i))
                {
                    if (target >= 0) dependents[fill[target]++] = i;
                }
            }
            return (start, dependents);
        }
    }

    private static void ValidateMethod(WorkflowTask task, ProviderRegistry registry, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(task.Method) || string.IsNullOrWhiteSpace(task.Protocol)) return;
        MethodDescriptor method;
        try
        {
            (_, method) = registry.Resolve(task);
        }
        catch (GleitzeitException ex) when (task.Protocol == Execution.WorkflowRunProvider.ProtocolId && ex.Code == GleitzeitErrorCode.ProviderNotFound
            && Execution.WorkflowRunProvider.Descriptor.FindMethod(task.Method) is { } builtIn)
        {
            // workflow/v1 is built into every engine: a registry checked without one (a file validated alone) still knows it.
            method = builtIn;
        }
        catch (GleitzeitException ex)
        {
            errors.Add(new ValidationError(ex.Code, ex.Message, task.Id, "method"));
            return;
        }
        foreach (var problem in method.ValidateParameters(task.Parameters, referencesUnresolved: true))
        {
            errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, problem.Message, task.Id,
                problem.Parameter is null ? "parameters" : "parameters." + problem.Parameter));
        }
        if (task.Protocol == Human.HumanProvider.ProtocolId)
        {
            foreach (var (field, problem) in Human.HumanRequest.Check(task.Method, task.Parameters))
            {
                errors.Add(new ValidationError(GleitzeitErrorCode.TaskValidationFailed, problem, task.Id, "parameters." + field));
            }
        }
    }
}
