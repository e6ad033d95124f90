using System.Text.Json.Nodes;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;
using Gleitzeit.Core.Cost;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Substitution;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Cli.Commands;

/// <summary>
/// <c>run FILE --dry-run</c>: the plan without running anything: the tasks in the order they can run, the LLM calls per
/// provider and model, the cache entries expected to hit (read from the configured store), and the budget.
/// </summary>
internal static class DryRun
{
    public static async Task<int> ShowAsync(CliContext context, Workflow workflow, IReadOnlyDictionary<string, JsonNode?> inputs, WorkflowBudget? budget, bool noCache)
    {
        workflow = workflow with { Budget = budget ?? workflow.Budget, CacheDisabled = workflow.CacheDisabled || noCache };
        WorkflowValidator.EnsureValid(workflow, context.GetServices().Registry, workflow.Name);
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (k, v) in workflow.Inputs) values[k] = v?.DeepClone();
        foreach (var (k, v) in inputs)
        {
            if (!workflow.Inputs.ContainsKey(k))
            {
                throw CliException.Invalid($"Unknown input '{k}': the workflow declares {(workflow.Inputs.Count == 0 ? "no inputs" : string.Join(", ", workflow.Inputs.Keys))}.");
            }
            values[k] = v?.DeepClone();
        }

        var services = context.GetServices();
        var cache = services.Services.GetService<ITaskResultCache>();
        var now = TimeProvider.System.GetUtcNow();
        var rows = new List<JsonObject>();
        var calls = new SortedDictionary<(string Provider, string Model), int>();
        var hits = 0;
        foreach (var task in Ordered(workflow))
        {
            var (registration, _) = services.Registry.Resolve(task);
            var model = TaskCacheKey.ModelOf(task.Method, task.Parameters, registration.Provider);
            var expectation = "off";
            if (TaskCachePolicy.InEffect(workflow, task) is not null)
            {
                expectation = "unknown";
                if (cache is not null && Resolvable(task) && Resolve(task, registration, values) is { } resolved)
                {
                    var hit = await cache.GetAsync(TaskCacheKey.Compute(task, resolved, registration), now, context.CancellationToken).ConfigureAwait(false);
                    expectation = hit is null ? "miss" : "hit";
                }
            }
            if (expectation == "hit") hits++;
            var llm = task.Protocol.StartsWith("llm/", StringComparison.Ordinal);
            if (llm && expectation != "hit") calls[(registration.Id, model ?? "(default)")] = calls.GetValueOrDefault((registration.Id, model ?? "(default)")) + 1;
            rows.Add(new JsonObject
            {
                ["id"] = task.Id,
                ["method"] = task.Method,
                ["provider"] = registration.Id,
                ["model"] = model,
                ["dependencies"] = new JsonArray(task.Dependencies.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                ["llm"] = llm,
                ["cache"] = expectation,
            });
        }
        var totalCalls = calls.Values.Sum();
        var callList = new JsonArray(calls.Select(kv => (JsonNode)new JsonObject { ["provider"] = kv.Key.Provider, ["model"] = kv.Key.Model, ["calls"] = kv.Value }).ToArray());
        var budgetJson = workflow.Budget is { } b
            ? new JsonObject
            {
                ["max_tokens"] = b.MaxTokens,
                ["max_llm_calls"] = b.MaxLlmCalls,
                ["calls_within_budget"] = b.MaxLlmCalls is not { } max || totalCalls <= max,
            }
            : null;

        var output = context.Output;
        if (output.Json)
        {
            output.WriteJson(new JsonObject
            {
                ["dry_run"] = true,
                ["workflow"] = workflow.Name,
                ["tasks"] = new JsonArray([.. rows]),
                ["llm_calls"] = callList,
                ["expected_llm_calls"] = totalCalls,
                ["expected_cache_hits"] = hits,
                ["budget"] = budgetJson,
            });
            return ExitCodes.Ok;
        }
        output.Heading($"Dry run of {workflow.Name}: {rows.Count} task{(rows.Count == 1 ? "" : "s")}, nothing is run");
        output.Table(["#", "task", "method", "provider", "model", "after", "cache"],
            rows.Select((r, i) => (IReadOnlyList<string>)[(i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), (string)r["id"]!, (string)r["method"]!,
                (string)r["provider"]!, (string?)r["model"] ?? "", string.Join(", ", r["dependencies"]!.AsArray().Select(d => (string)d!)), (string)r["cache"]!]));
        output.Line(totalCalls == 0 ? "LLM calls: none" : "LLM calls: " + string.Join(", ", calls.Select(kv => $"{kv.Value} × {kv.Key.Provider}/{kv.Key.Model}")));
        output.Line($"expected cache hits: {hits}");
        output.Line(workflow.Budget is { } limit
            ? $"budget: {limit}" + (limit.MaxLlmCalls is { } m && totalCalls > m ? $" — the plan needs {totalCalls} LLM calls: the run will stop at {m}" : "")
            : "budget: none");
        return ExitCodes.Ok;
    }

    /// <summary>Definition order, moved only as far as dependencies require (the order a run with one slot would take).</summary>
    private static List<WorkflowTask> Ordered(Workflow workflow)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var left = workflow.Tasks.ToList();
        var order = new List<WorkflowTask>(left.Count);
        while (left.Count > 0)
        {
            var next = left.FirstOrDefault(t => t.Dependencies.All(done.Contains)) ?? left[0];
            left.Remove(next);
            done.Add(next.Id);
            order.Add(next);
        }
        return order;
    }

    /// <summary>Only <c>${inputs.…}</c> references: the parameters are known before anything runs.</summary>
    private static bool Resolvable(WorkflowTask task)
    {
        try
        {
            return ReferenceResolver.FindTemplates(task.Parameters).All(t => t.Template.References.All(r => r.IsInput));
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static JsonObject? Resolve(WorkflowTask task, Gleitzeit.Core.Protocol.ProviderRegistration registration, Dictionary<string, JsonNode?> inputs)
    {
        if (!ReferenceResolver.ContainsReferences(task.Parameters)) return task.Parameters;
        try
        {
            return ReferenceResolver.Resolve(task.Parameters, r =>
            {
                var name = r.Path.Count > 0 ? r.Path[0].Field : null;
                if (name is null || !inputs.TryGetValue(name, out var value)) throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"{r}: unknown input");
                return ReferenceResolver.Navigate(value, r.Path.Skip(1).ToList(), "inputs." + name);
            }, task.Method);
        }
        catch (GleitzeitException)
        {
            return null;
        }
    }
}
