using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Definitions.Reading;

namespace Gleitzeit.Core.Tests.Definitions;

/// <summary>The JSON Schema shipped for editors names exactly the keys the loader accepts.</summary>
public class WorkflowSchemaTests
{
    private static JsonObject Schema()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var file = Path.Combine(dir.FullName, "schemas", "workflow.schema.json");
            if (File.Exists(file)) return JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        }
        Assert.Fail("schemas/workflow.schema.json not found above the test directory");
        return null!;
    }

    private static IEnumerable<string> Keys(JsonNode? properties) => properties!.AsObject().Select(p => p.Key);

    [Test]
    public void Schema_is_draft_2020_12() =>
        Assert.That((string?)Schema()["$schema"], Is.EqualTo("https://json-schema.org/draft/2020-12/schema"));

    [Test]
    public void Top_level_keys_match_the_loader() =>
        Assert.That(Keys(Schema()["properties"]), Is.EquivalentTo(WorkflowReader.TopLevelKeys));

    [Test]
    public void Task_keys_match_the_loader() =>
        Assert.That(Keys(Schema()["$defs"]!["task"]!["properties"]), Is.EquivalentTo(WorkflowReader.TaskKeys));

    [Test]
    public void Retry_keys_match_the_loader() =>
        Assert.That(Keys(Schema()["$defs"]!["retry"]!["anyOf"]![1]!["properties"]), Is.EquivalentTo(WorkflowReader.RetryKeys));
}
