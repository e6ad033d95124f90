using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Core.Tests.Definitions;

/// <summary>
/// The validator's dependency graph: dependencies are looked up once and read by index by the cycle check, the
/// reachability of references and the check of references to direct dependencies; these cases pin what each reports.
/// </summary>
public class DependencyValidationTests
{
    private static WorkflowTask Task(string id, string message, params string[] dependencies) =>
        new() { Id = id, Protocol = "echo/v1", Method = "echo", Parameters = new JsonObject { ["message"] = message }, Dependencies = dependencies };

    private static IReadOnlyList<ValidationError> Validate(params WorkflowTask[] tasks) => WorkflowValidator.Validate(new Workflow { Name = "graph", Tasks = tasks });

    [Test]
    public void Direct_repeated_and_transitive_dependencies_are_all_valid_references()
    {
        var errors = Validate(
            Task("a", "A"),
            Task("b", "${a.response}", "a", "a"),
            Task("c", "${b.response} ${a.response}", "b"));

        Assert.That(errors, Is.Empty);
    }

    [Test]
    public void A_reference_to_a_task_that_is_neither_a_dependency_nor_an_ancestor_is_reported()
    {
        var errors = Validate(Task("a", "A"), Task("b", "B"), Task("c", "${b.response}", "a"));

        Assert.That(errors.Select(e => e.Message), Is.EqualTo(new[] { "${b.response} refers to task 'b', which is not a dependency: add it to dependencies" }));
        Assert.That((errors[0].TaskId, errors[0].Field), Is.EqualTo(("c", "parameters.message")));
    }

    [Test]
    public void A_reference_to_an_unknown_dependency_reports_the_dependency_and_the_reference()
    {
        var errors = Validate(Task("a", "A"), Task("b", "${ghost.response}", "a", "ghost"));

        Assert.That(errors.Select(e => e.Message), Is.EqualTo(new[] { "unknown dependency 'ghost'", "${ghost.response} refers to unknown task 'ghost'" }));
    }

    [Test]
    public void A_task_listing_itself_and_reading_itself_gets_both_errors()
    {
        var errors = Validate(Task("a", "${a.response}", "a"));

        Assert.That(errors.Select(e => e.Message), Is.EqualTo(new[] { "task 'a' depends on itself", "${a.response} refers to the task itself" }));
    }

    [Test]
    public void Many_dependencies_are_checked_by_set_and_an_ancestor_behind_them_by_reachability()
    {
        var parts = Enumerable.Range(0, 12).Select(i => Task($"p{i}", "P", i == 0 ? [] : ["p0"])).ToList();
        var ids = parts.Select(p => p.Id).ToArray();
        var tasks = parts.Append(Task("join", "${p11.response} ${p0.response}", ids[1..]))
            .Append(Task("outsider", "O"))
            .Append(Task("bad", "${outsider.response}", ids)).ToArray();

        var errors = Validate(tasks);

        Assert.That(errors.Select(e => (e.TaskId, e.Message)), Is.EqualTo(new[] { ("bad", "${outsider.response} refers to task 'outsider', which is not a dependency: add it to dependencies") }));
    }

    [Test]
    public void A_cycle_behind_valid_tasks_and_a_repeated_edge_is_named_in_order()
    {
        var errors = Validate(
            Task("start", "S"),
            Task("a", "A", "start", "c", "c"),
            Task("b", "B", "a"),
            Task("c", "C", "b"));

        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0].Code, Is.EqualTo(GleitzeitErrorCode.WorkflowCircularDependency));
        Assert.That(errors[0].Message, Is.EqualTo("circular dependency: a -> c -> b -> a"));
        Assert.That((errors[0].TaskId, errors[0].Field), Is.EqualTo(("a", "dependencies[1]")));
    }

    [Test]
    public void A_long_chain_and_a_wide_fan_validate_without_errors()
    {
        var chain = Enumerable.Range(0, 20_000).Select(i => Task($"t{i}", i == 0 ? "x" : $"${{t{i - 1}.response}}", i == 0 ? [] : [$"t{i - 1}"])).ToArray();
        Assert.That(Validate(chain), Is.Empty);

        var fan = Enumerable.Range(0, 2_000).Select(i => Task($"f{i}", "x")).ToList();
        fan.Add(Task("sink", string.Join(" ", fan.Select(f => $"${{{f.Id}.response}}")), fan.Select(f => f.Id).ToArray()));
        Assert.That(Validate(fan.ToArray()), Is.Empty);
    }
}
