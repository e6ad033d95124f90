using System.Text.Json.Nodes;
using Gleitzeit.Providers.Mcp.Tools;

namespace Gleitzeit.Providers.Mcp.Tests.Tools;

public sealed class ToolArgumentValidatorTests
{
    private static readonly JsonObject Schema = JsonNode.Parse("""
        {
          "type": "object",
          "properties": {
            "count": { "type": "integer" },
            "ratio": { "type": ["number", "null"] },
            "tags": { "type": "array", "items": { "type": "string" } },
            "mode": { "type": "string", "enum": ["fast", "slow"] },
            "options": { "type": "object", "properties": { "deep": { "type": "boolean" } }, "required": ["deep"], "additionalProperties": false },
            "either": { "anyOf": [ { "type": "string" }, { "type": "integer" } ] }
          },
          "required": ["count"]
        }
        """)!.AsObject();

    private static IReadOnlyList<string> Validate(string arguments) => ToolArgumentValidator.Validate(JsonNode.Parse(arguments)!.AsObject(), Schema);

    [Test]
    public void Valid_arguments_pass() =>
        Assert.That(Validate("""{"count": 3, "ratio": null, "tags": ["a"], "mode": "fast", "options": {"deep": true}, "either": 4, "extra": 1}"""), Is.Empty);

    [Test]
    public void Integers_built_in_code_count_as_integers() =>
        Assert.That(ToolArgumentValidator.Validate(new JsonObject { ["count"] = 3, ["ratio"] = 2.5f }, Schema), Is.Empty);

    [Test]
    public void A_fraction_is_not_an_integer() =>
        Assert.That(Validate("""{"count": 1.5}"""), Is.EqualTo(new[] { "argument 'count' must be an integer, got a number (1.5)" }));

    [Test]
    public void Every_problem_gets_its_own_message()
    {
        var errors = Validate("""{"tags": "a", "mode": "medium", "options": {"wide": 1}, "either": true}""");

        Assert.That(errors, Is.EquivalentTo(new[]
        {
            "missing required argument 'count' (an integer)",
            "argument 'tags' must be a list of strings, got a string (\"a\")",
            "argument 'mode' must be one of \"fast\", \"slow\", got a string (\"medium\")",
            "missing required argument 'options.deep' (a boolean)",
            "unknown argument 'options.wide' (known: deep)",
            "argument 'either' must be a string or an integer, got a boolean (true)",
        }));
    }

    [Test]
    public void No_schema_accepts_anything() =>
        Assert.That(ToolArgumentValidator.Validate(new JsonObject { ["x"] = 1 }, null), Is.Empty);
}
