using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Testing;
using static Gleitzeit.Core.Tests.Definitions.LoaderTestSupport;

namespace Gleitzeit.Core.Tests.Definitions;

/// <summary><c>foreach</c>, <c>max_concurrency</c>, <c>${item}</c>/<c>${index}</c> and <c>outputs:</c> are checked before anything runs, each problem at its line and column.</summary>
public class ForEachValidationTests
{
    private static ValidationError Single(WorkflowValidationException ex)
    {
        Assert.That(ex.Errors, Has.Count.EqualTo(1), ex.Message);
        return ex.Errors[0];
    }

    [Test]
    public void A_foreach_and_outputs_load_from_yaml()
    {
        var wf = WorkflowLoader.Parse("""
            name: w
            outputs: { all: "${each.results}", n: "${each.count}" }
            tasks:
              - id: plan
                method: llm/chat
                params: { prompt: list }
              - id: each
                dependencies: [plan]
                foreach: "${plan.response}"
                max_concurrency: 3
                method: llm/chat
                params: { prompt: "about ${item} (${index})" }
            """);

        var each = wf.FindTask("each")!;
        Assert.That((string?)each.ForEach, Is.EqualTo("${plan.response}"));
        Assert.That(each.MaxConcurrency, Is.EqualTo(3));
        Assert.That(wf.Outputs, Is.EqualTo(new Dictionary<string, string> { ["all"] = "${each.results}", ["n"] = "${each.count}" }));
    }

    [Test]
    public void A_literal_foreach_that_is_not_a_list_is_refused_at_its_line_and_column()
    {
        const string yaml = "name: w\ntasks:\n  - id: each\n    foreach: { a: 1 }\n    method: llm/chat\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.Message, Does.Contain("foreach must be a list").And.Contain("an object"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "{ a: 1 }")));
    }

    [Test]
    public void A_number_or_plain_text_is_not_a_list_either()
    {
        var number = Single(Invalid("name: w\ntasks:\n  - id: each\n    foreach: 3\n    method: llm/chat\n"));
        Assert.That(number.Message, Does.Contain("a number"));
        var text = Single(Invalid("name: w\ntasks:\n  - id: each\n    foreach: a, b, c\n    method: llm/chat\n"));
        Assert.That(text.Message, Does.Contain("exactly one reference"));
        Assert.That(Where(text), Is.EqualTo((4, 14)));
    }

    [Test]
    public void A_foreach_reference_must_name_a_dependency()
    {
        const string yaml = "name: w\ntasks:\n  - id: plan\n    method: llm/chat\n  - id: each\n    foreach: \"${plan.response}\"\n    method: llm/chat\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("not a dependency"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"${plan")));
    }

    [Test]
    public void Item_and_index_outside_a_foreach_task_are_refused_at_the_parameter()
    {
        const string yaml = "name: w\ntasks:\n  - id: a\n    method: llm/chat\n    params:\n      prompt: \"about ${item}\"\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("${item} is only defined in a foreach task"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"about")));
        var index = Single(Invalid("name: w\ntasks:\n  - id: a\n    method: llm/chat\n    params: { n: \"${index}\" }\n"));
        Assert.That(index.Message, Does.Contain("${index} is only defined in a foreach task"));
    }

    [Test]
    public void Max_concurrency_below_one_or_without_foreach_is_refused()
    {
        const string yaml = "name: w\ntasks:\n  - id: each\n    foreach: [1]\n    max_concurrency: 0\n    method: llm/chat\n";
        var error = Single(Invalid(yaml));
        Assert.That(error.Message, Does.Contain("max_concurrency must be at least 1"));
        Assert.That(Where(error), Is.EqualTo((5, 22)));

        var alone = Single(Invalid("name: w\ntasks:\n  - id: a\n    max_concurrency: 2\n    method: llm/chat\n"));
        Assert.That(alone.Message, Does.Contain("no 'foreach:'"));
    }

    [Test]
    public void An_output_naming_an_unknown_task_is_refused_at_the_output()
    {
        const string yaml = "name: w\noutputs:\n  report: \"${merg.result}\"\ntasks:\n  - id: merge\n    method: llm/chat\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("output 'report'").And.Contain("unknown task 'merg'").And.Contain("merge"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\"${merg")));
    }

    [Test]
    public void An_output_that_is_not_text_is_refused()
    {
        var error = Single(Invalid("name: w\noutputs:\n  report: [1, 2]\ntasks:\n  - id: a\n    method: llm/chat\n"));
        Assert.That(error.Message, Does.Contain("output 'report' must be a reference"));
        Assert.That(Where(error), Is.EqualTo((3, 11)));
    }

    [Test]
    public void The_builder_makes_the_same_workflow()
    {
        var wf = new WorkflowBuilder("w")
            .Chat("plan", prompt: "list")
            .ForEach("each", "${plan.response}", t => t.DependsOn("plan").WithMethod("llm/chat", new JsonObject { ["prompt"] = "about ${item}" }).WithMaxConcurrency(2))
            .Output("all", "${each.results}")
            .Build();

        var each = wf.FindTask("each")!;
        Assert.That((string?)each.ForEach, Is.EqualTo("${plan.response}"));
        Assert.That(each.MaxConcurrency, Is.EqualTo(2));
        Assert.That(each.Method, Is.EqualTo("llm/chat"));
        Assert.That(wf.Outputs["all"], Is.EqualTo("${each.results}"));
    }

    [Test]
    public void The_builder_refuses_a_foreach_without_a_method_and_item_outside_a_foreach()
    {
        var noMethod = Assert.Throws<WorkflowValidationException>(() => new WorkflowBuilder("w").ForEach("each", new object?[] { 1 }, t => t.WithMaxConcurrency(1)))!;
        Assert.That(noMethod.Message, Does.Contain("names no method"));

        var outside = Assert.Throws<WorkflowValidationException>(() => new WorkflowBuilder("w").Chat("a", prompt: "${item}").Build())!;
        Assert.That(outside.Message, Does.Contain("only defined in a foreach task"));

        var unknown = Assert.Throws<WorkflowValidationException>(() => new WorkflowBuilder("w").Chat("a", prompt: "x").Output("o", "${b.x}").Build())!;
        Assert.That(unknown.Message, Does.Contain("unknown task 'b'"));
    }

    [Test]
    public void A_foreach_task_survives_the_stores_json()
    {
        var wf = new WorkflowBuilder("w")
            .ForEach("each", new object?[] { 1, "x" }, t => t.WithMethod("llm/chat", new JsonObject { ["prompt"] = "${item}" }).WithMaxConcurrency(4))
            .Output("o", "${each.count}")
            .Build();

        var back = Core.Persistence.StoreJson.WorkflowFromJson(Core.Persistence.StoreJson.ToJson(wf));

        Assert.That(back.Tasks[0].ForEach!.ToJsonString(), Is.EqualTo("[1,\"x\"]"));
        Assert.That(back.Tasks[0].MaxConcurrency, Is.EqualTo(4));
        Assert.That(back.Outputs["o"], Is.EqualTo("${each.count}"));
    }
}
