using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Core.Tests.Definitions;

public class ValidatorSuggestionTests
{
    [Test]
    public void An_unknown_dependency_is_never_answered_with_the_task_itself()
    {
        var workflow = new Workflow
        {
            Name = "w",
            Tasks = [new WorkflowTask { Id = "a", Protocol = "test/v1", Method = "test/run", Dependencies = ["b"] }],
        };

        var error = WorkflowValidator.Validate(workflow).Single();

        Assert.That(error.Message, Is.EqualTo("unknown dependency 'b'"));
    }
}
