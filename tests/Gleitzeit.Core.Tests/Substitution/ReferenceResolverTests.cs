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

    [TestCase("${a.v}", "ref a.v 0+6")]
    [TestCase("${ a.v }", "ref a.v 0+8")]
    [TestCase("x ${a.v} y", "text 'x ' 0+2|ref a.v 2+6|text ' y' 8+2")]
    [TestCase("${a.v}${b.w[1]}", "ref a.v 0+6|ref b.w[1] 6+9")]
    [TestCase("$${a} ${b.c}", "text '${a} ' 0+6|ref b.c 6+6")]
    [TestCase("plain", "text 'plain' 0+5")]
    [TestCase("", "")]
    public void A_template_is_its_parts_in_order_covering_the_source(string text, string expected)
    {
        var template = Template.Parse(text);
        var parts = template.Parts.Select(p => p.Reference is { } r ? $"ref {r.Expression} {p.Start}+{p.Length}" : $"text '{p.Text}' {p.Start}+{p.Length}");
        Assert.That(string.Join("|", parts), Is.EqualTo(expected));
        Assert.That(template.References.Select(r => r.Expression), Is.EqualTo(template.Parts.Where(p => p.Reference is not null).Select(p => p.Reference!.Expression)));
        Assert.That(template.IsSingleReference, Is.EqualTo(template.Parts.Count == 1 && template.References.Count == 1));
    }

    [TestCase("${a.v}", "a.v")]
    [TestCase("${ a.data.users[0].name }", "a.data.users[0].name")]
    [TestCase("${a}", "a")]
    [TestCase(" ${a.v}", null)]
    [TestCase("${a.v} ", null)]
    [TestCase("${a.v}${b.w}", null)]
    [TestCase("$${a.v}", null)]
    [TestCase("x", null)]
    public void A_text_of_exactly_one_reference_is_read_as_that_reference_alone(string text, string? expected)
    {
        var found = Template.TryParseSingleReference(text, out var reference);
        Assert.That(found ? reference!.Expression : null, Is.EqualTo(expected));
        // What the whole template says agrees.
        var template = Template.Parse(text);
        Assert.That(template.IsSingleReference ? template.References[0].Expression : null, Is.EqualTo(expected));
    }

    [TestCase("${a.}", "empty field name")]
    [TestCase("${}", "empty reference")]
    [TestCase("${a{b}", "bad task id")]
    public void A_malformed_single_reference_fails_as_the_template_does(string text, string message)
    {
        Assert.That(() => Template.TryParseSingleReference(text, out _), Throws.TypeOf<FormatException>().With.Message.Contains(message));
        Assert.That(() => Template.Parse(text), Throws.TypeOf<FormatException>().With.Message.Contains(message));
    }

    [Test]
    public void References_to_one_field_share_their_path_and_longer_paths_have_their_own()
    {
        var first = Template.Parse("${a.response}").References[0];
        var second = Template.Parse("say ${ b.response }").References[0];
        Assert.That((first.Root, second.Root), Is.EqualTo(("a", "b")));
        Assert.That(second.Path, Is.SameAs(first.Path), "one field: one shared path");
        Assert.That(first.Path.Select(p => p.ToString()), Is.EqualTo(new[] { ".response" }));

        var deep = Template.Parse("${a.response.text}").References[0];
        Assert.That(deep.Path.Select(p => p.ToString()), Is.EqualTo(new[] { ".response", ".text" }));
        var indexed = Template.Parse("${a.response[2]}").References[0];
        Assert.That(indexed.Path.Select(p => p.ToString()), Is.EqualTo(new[] { ".response", "[2]" }));
        var bare = Template.Parse("${a}").References[0];
        Assert.That((bare.Root, bare.Path.Count), Is.EqualTo(("a", 0)));
    }

    [Test]
    public void Any_number_of_distinct_field_names_parse_correctly()
    {
        // Past the shared paths' limit, each reference gets a path of its own; the values are the same either way.
        for (var i = 0; i < 3000; i++)
        {
            var reference = Template.Parse($"${{t{i}.field{i}}}").References[0];
            Assert.That((reference.Root, reference.Path.Single().Field), Is.EqualTo(($"t{i}", $"field{i}")));
        }
    }

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
