using Gleitzeit.Core.Definitions;
using static Gleitzeit.Core.Tests.Definitions.LoaderTestSupport;

namespace Gleitzeit.Core.Tests.Definitions;

/// <summary><c>when</c>, <c>join</c> and <c>loop</c> are checked before anything runs, each problem at its line and column.</summary>
public class ControlFlowValidationTests
{
    private static ValidationError Single(WorkflowValidationException ex)
    {
        Assert.That(ex.Errors, Has.Count.EqualTo(1), string.Join("\n", ex.Errors));
        return ex.Errors[0];
    }

    private const string Head = """
        name: w
        inputs: { mode: fast }
        tasks:
          - id: a
            method: test/run
          - id: other
            method: test/run

        """;

    [Test]
    public void A_condition_that_does_not_parse_is_located_in_the_file_and_in_the_expression()
    {
        var yaml = Head + """
              - id: b
                method: test/run
                dependencies: [a]
                when: "${a.value} >= "
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.TaskId, Is.EqualTo("b"));
        Assert.That(error.Field, Is.EqualTo("when"));
        Assert.That(error.Message, Does.Contain("when does not parse").And.Contain("at column 15 of the expression"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"${a.value} >= \"")));
    }

    [TestCase("${other.value} == 1", "which is not a dependency", "other")]
    [TestCase("${nope.value} == 1", "unknown task 'nope'", "nope")]
    [TestCase("${b.value} == 1", "refers to the task itself", "b")]
    [TestCase("${inputs.speed} == 'x'", "unknown input 'speed'", "speed")]
    [TestCase("${self.value} == 1", "only available in 'loop.until'", "self")]
    [TestCase("${iteration} == 1", "only available in a task with 'loop:'", "iteration")]
    public void Condition_references_must_name_dependencies(string condition, string message, string _)
    {
        var yaml = Head + $"""
              - id: b
                method: test/run
                dependencies: [a]
                when: "{condition}"
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain(message).And.Contain("at column 1 of the expression"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, $"\"{condition}\"")));
    }

    [Test]
    public void A_condition_may_read_transitive_dependencies_and_inputs()
    {
        var yaml = Head + """
              - id: b
                method: test/run
                dependencies: [a]
              - id: c
                method: test/run
                dependencies: [b]
                when: "${a.value} == 1 && ${inputs.mode} == 'fast'"
            """;

        Assert.That(WorkflowLoader.Parse(yaml, registry: null).FindTask("c")!.When, Does.Contain("${a.value}"));
    }

    [Test]
    public void Join_other_than_all_or_any_is_refused_at_its_value()
    {
        var yaml = Head + """
              - id: b
                method: test/run
                dependencies: [a, other]
                join: some
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("'join' must be 'all'").And.Contain("'some'"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "some")));
    }

    [Test]
    public void Join_any_and_when_are_read_from_yaml()
    {
        var yaml = Head + """
              - id: b
                method: test/run
                dependencies: [a, other]
                join: any
                when: "${a.ok} || ${other.ok}"
            """;

        var task = WorkflowLoader.Parse(yaml, registry: null).FindTask("b")!;

        Assert.That(task.Join, Is.EqualTo(JoinMode.Any));
        Assert.That(task.When, Is.EqualTo("${a.ok} || ${other.ok}"));
    }

    [TestCase("0")]
    [TestCase("-2")]
    public void Max_iterations_below_one_is_refused_at_its_value(string value)
    {
        var yaml = Head + $"""
              - id: b
                method: test/run
                loop: {"{"} until: "${"{"}self.done{"}"} == true", max_iterations: {value} {"}"}
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain($"loop.max_iterations must be at least 1, got {value}"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "max_iterations: ", skip: "max_iterations: ".Length)));
    }

    [Test]
    public void A_loop_without_until_or_bound_is_refused()
    {
        var yaml = Head + """
              - id: b
                method: test/run
                loop: { max_iterations: 3 }
              - id: c
                method: test/run
                loop: { until: "${self.ok}" }
            """;

        var errors = Invalid(yaml).Errors;

        Assert.That(errors.Select(e => e.Message), Has.Some.Contain("loop.until is missing"));
        Assert.That(errors.Select(e => e.Message), Has.Some.Contain("loop.max_iterations is missing"));
    }

    [Test]
    public void An_until_that_does_not_parse_is_located_at_the_until_value()
    {
        var yaml = Head + """
              - id: b
                method: test/run
                loop:
                  until: "${self.score} >= 8 &&"
                  max_iterations: 3
                  on_exhausted: complete
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Field, Is.EqualTo("loop.until"));
        Assert.That(error.Message, Does.Contain("at column 22 of the expression"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"${self.score} >= 8 &&\"")));
    }

    [Test]
    public void Until_reads_self_previous_iteration_and_the_params_read_iteration_and_previous()
    {
        var yaml = Head + """
              - id: b
                method: test/run
                dependencies: [a]
                params: { n: "${iteration}", last: "${previous.text}", base: "${a.value}" }
                loop: { until: "${self.score} > ${previous.score} || ${iteration} >= 3 || ${a.stop}", max_iterations: 4, on_exhausted: complete }
            """;

        var loop = WorkflowLoader.Parse(yaml, registry: null).FindTask("b")!.Loop!;

        Assert.That(loop.MaxIterations, Is.EqualTo(4));
        Assert.That(loop.OnExhausted, Is.EqualTo(LoopExhaustedAction.Complete));
    }

    [Test]
    public void Unknown_loop_keys_and_on_exhausted_values_are_refused()
    {
        var yaml = Head + """
              - id: b
                method: test/run
                loop: { until: "${self.ok}", max_iterations: 2, on_exhausted: retry, max: 3 }
            """;

        var errors = Invalid(yaml).Errors;

        Assert.That(errors.Select(e => e.Message), Has.Some.Contain("unknown key 'max' in loop"));
        Assert.That(errors.Select(e => e.Message), Has.Some.Contain("loop.on_exhausted must be 'fail' or 'complete', got 'retry'"));
    }

    [Test]
    public void Params_of_a_task_without_a_loop_cannot_read_iteration()
    {
        var yaml = Head + """
              - id: b
                method: test/run
                params: { n: "${iteration}" }
            """;

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("only available in a task with 'loop:'"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"${iteration}\"")));
    }

    [Test]
    public void The_builder_refuses_a_bad_condition_at_the_call_that_made_it()
    {
        var builder = new WorkflowBuilder("w").AddTask("a", "test/run").AddTask("z", "test/run");

        var syntax = Assert.Throws<WorkflowValidationException>(() => builder.AddTask("b", "test/run", null, t => t.DependsOn("a").When("${a.x} =")))!;
        var reference = Assert.Throws<WorkflowValidationException>(() => builder.AddTask("c", "test/run", null, t => t.DependsOn("a").When("${z.x} == 1")))!;
        var until = Assert.Throws<WorkflowValidationException>(() => builder.AddTask("d", "test/run", null, t => t.Loop("${d.x} == 1", 3)))!;

        Assert.That(syntax.Errors[0].Message, Does.Contain("compare with =="));
        Assert.That(reference.Errors[0].Message, Does.Contain("not a dependency"));
        Assert.That(until.Errors[0].Message, Does.Contain("${self.…}"));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddTask("e", "test/run", null, t => t.Loop("${self.x} == 1", 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddTask("f", "test/run", null, t => t.Join((JoinMode)7)));
    }
}
