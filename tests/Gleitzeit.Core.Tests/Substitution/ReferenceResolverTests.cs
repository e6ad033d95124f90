using System.Text.Json.Nodes;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Tests.Substitution;

public class ReferenceResolverTests
{
    private static readonly Dictionary<string, JsonNode?> Results = new()
    {
        ["a"] = new JsonObject { ["response"] = "hi \"there\"", ["data"] = new JsonObject { ["users"] = new JsonArray(new JsonObject { ["name"] = "Ada" }) }, ["n"] = 5 },
        ["py"] = new JsonObject { ["result"] = new JsonObject { ["numbers"] = new JsonArray(1, 2, 3), ["count"] = 3 }, ["success"] = true },
        ["plain"] = JsonValue.Create("just text"),
        ["nul"] = new JsonObject { ["x"] = null },
    };

    private static JsonNode? Lookup(Reference r) => ReferenceResolver.Navigate(Results[r.Root], r.Path, r.Root);

    private static JsonNode? Resolve(string template) =>
        ReferenceResolver.Resolve(new JsonObject { ["p"] = template }, Lookup)["p"];

    [TestCase("${a.response}", "hi \"there\"")]
    [TestCase("${a.data.users[0].name}", "Ada")]
    [TestCase("say ${a.response}!", "say hi \"there\"!")]
    [TestCase("n=${a.n}", "n=5")]
    [TestCase("${a.result.response}", "hi \"there\"")]
    [TestCase("${plain.response}", "just text")]
    [TestCase("${plain.content}", "just text")]
    [TestCase("cost $${literal}", "cost ${literal}")]
    [TestCase("x${nul.x}y", "xy")]
    public void Renders_strings(string template, string expected) => Assert.That((string?)Resolve(template), Is.EqualTo(expected));

    [Test]
    public void A_lone_reference_keeps_its_json_type()
    {
        Assert.That(Resolve("${a.n}")!.GetValueKind(), Is.EqualTo(System.Text.Json.JsonValueKind.Number));
        Assert.That(Resolve("${py.result.numbers}")!.ToJsonString(), Is.EqualTo("[1,2,3]"));
        Assert.That(Resolve("${py.result}")!["count"]!.GetValue<int>(), Is.EqualTo(3), "result field exists: it is followed");
        Assert.That(Resolve(" ${a.n}")!.GetValueKind(), Is.EqualTo(System.Text.Json.JsonValueKind.String), "surrounding text makes it text");
    }

    [Test]
    public void Objects_inside_text_render_as_compact_json() =>
        Assert.That((string?)Resolve("numbers: ${py.result.numbers}"), Is.EqualTo("numbers: [1,2,3]"));

    [Test]
    public void Nested_parameters_are_resolved_and_the_input_is_untouched()
    {
        var parameters = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "about ${a.response}" }), ["k"] = 1 };
        var resolved = ReferenceResolver.Resolve(parameters, Lookup);
        Assert.That((string?)resolved["messages"]![0]!["content"], Is.EqualTo("about hi \"there\""));
        Assert.That((string?)parameters["messages"]![0]!["content"], Is.EqualTo("about ${a.response}"));
    }

    [TestCase("${a.nope}", "has no field 'nope'; it has: response, data, n")]
    [TestCase("${a.data.users[3]}", "index 3 is out of range (the list has 1 items)")]
    [TestCase("${a.n[0]}", "cannot be indexed")]
    public void Bad_paths_say_what_exists(string template, string message) =>
        Assert.That(() => Resolve(template), Throws.TypeOf<GleitzeitException>().With.Message.Contains(message).And.Message.Contains("parameter 'p'"));

    [TestCase("${a.", "unterminated reference")]
    [TestCase("${}", "empty reference")]
    [TestCase("${a..b}", "empty field name")]
    [TestCase("${a[x]}", "index '[x]'")]
    [TestCase("${a[1}", "'[' without ']'")]
    [TestCase("${.b}", "no task id")]
    public void Malformed_references_are_rejected_with_the_reason(string text, string message) =>
        Assert.That(() => Template.Parse(text), Throws.TypeOf<FormatException>().With.Message.Contains(message));

    [Test]
    public void A_renderer_can_take_over_a_parameter()
    {
        var renderer = new UpperRenderer();
        var resolved = ReferenceResolver.Resolve(new JsonObject { ["code"] = "x = ${a.response}", ["other"] = "${a.response}" }, Lookup, "m", renderer);
        Assert.That((string?)resolved["code"], Is.EqualTo("RENDERED:x = ${a.response}:hi \"there\""));
        Assert.That((string?)resolved["other"], Is.EqualTo("hi \"there\""));
    }

    private sealed class UpperRenderer : IReferenceRenderer
    {
        public string? RenderTemplate(string method, string parameterPath, Template template, IReadOnlyList<JsonNode?> values) =>
            parameterPath == "code" ? $"RENDERED:{template.Source}:{values[0]}" : null;
    }
}
