using System.Text.Json.Nodes;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Tests.Substitution;

/// <summary>
/// The engine hands the resolver the templates validation parsed, in the order the parameters hold them; whatever it is
/// handed, the result is what parsing every string anew gives.
/// </summary>
public class ParsedTemplatesTests
{
    private static readonly Dictionary<string, JsonNode?> Results = new()
    {
        ["a"] = new JsonObject { ["v"] = 1, ["s"] = "x" },
        ["b"] = new JsonObject { ["v"] = 2, ["s"] = "y" },
    };

    private static JsonNode? Lookup(Reference r) => ReferenceResolver.Navigate(Results[r.Root], r.Path, r.Root);

    private static JsonObject Parameters() => new()
    {
        ["first"] = "${a.v}",
        ["nested"] = new JsonObject { ["text"] = "a=${a.s}, b=${b.s}" },
        ["list"] = new JsonArray("${b.v}", "plain", "$${not a reference}"),
    };

    private static readonly string[] Texts = ["${a.v}", "a=${a.s}, b=${b.s}", "${b.v}", "$${not a reference}"];

    [TestCaseSource(nameof(Handed))]
    public void The_templates_handed_over_never_change_the_result(string[] handed)
    {
        var expected = ReferenceResolver.Resolve(Parameters(), Lookup).ToJsonString();
        var templates = handed.Select(Template.Parse).ToList();

        var resolved = ReferenceResolver.Resolve(Parameters(), Lookup, "", null, templates);

        Assert.That(resolved.ToJsonString(), Is.EqualTo(expected));
        Assert.That(expected, Is.EqualTo("""{"first":1,"nested":{"text":"a=x, b=y"},"list":[2,"plain","${not a reference}"]}"""));
    }

    private static IEnumerable<TestCaseData> Handed()
    {
        yield return new TestCaseData((object)Texts).SetName("in order, as validation collects them");
        yield return new TestCaseData((object)Texts.Reverse().ToArray()).SetName("in another order");
        yield return new TestCaseData((object)Texts[1..]).SetName("the first missing");
        yield return new TestCaseData((object)new[] { "${b.v}", "${a.v}" }).SetName("other strings' templates");
        yield return new TestCaseData((object)Array.Empty<string>()).SetName("none");
    }
}
