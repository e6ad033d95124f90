using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Substitution;
using Gleitzeit.Providers.Python.Substitution;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>How references inside code are rendered (the end-to-end safety checks are in <see cref="SecurityTests"/>).</summary>
public class RendererTests
{
    private static string Render(string code, params JsonNode?[] values) => PythonCodeRenderer.Render(Template.Parse(code), values);

    [Test]
    public void A_bare_reference_becomes_a_literal_of_the_value() =>
        Assert.That(Render("x = ${a.v}", new JsonArray(1, "t\"w\no", null, true, new JsonObject { ["k"] = -1.5 })),
            Is.EqualTo("x = [1, \"t\\\"w\\no\", None, True, {\"k\": (-1.5)}]"));

    [TestCase("x = \"${a.v}\"")]
    [TestCase("x = '${a.v}'")]
    [TestCase("x = \"\"\"${a.v}\"\"\"")]
    [TestCase("x = f'${a.v}'")]
    [TestCase("x = R\"${a.v}\"")]
    public void A_string_holding_exactly_one_reference_is_replaced_by_the_literal(string code) =>
        Assert.That(Render(code, JsonValue.Create(42)), Is.EqualTo("x = 42"));

    [Test]
    public void A_reference_inside_a_longer_string_is_escaped_for_that_string()
    {
        Assert.That(Render("x = 'a ${a.v} b'", JsonValue.Create("it's \\ \"q\"\n")), Is.EqualTo("x = 'a it\\'s \\\\ \\\"q\\\"\\n b'"));
        Assert.That(Render("x = f\"{n} ${a.v}\"", JsonValue.Create("{y}")), Is.EqualTo("x = f\"{n} {{y}}\""));
        Assert.That(Render("x = r'<${a.v}>'", JsonValue.Create("\\")), Is.EqualTo("x = r'<' \"\\\\\" r'>'"));
    }

    [Test]
    public void A_backslash_right_before_a_reference_cannot_escape_the_value()
    {
        Assert.That(Render("x = '\\${a.v}'", JsonValue.Create("'; boom #")), Is.EqualTo("x = '\\\\\\'; boom #'"));
    }

    [Test]
    public void A_reference_after_a_backslash_in_a_raw_string_is_refused()
    {
        var ex = Assert.Throws<GleitzeitException>(() => Render("x = r'\\${a.v}'", JsonValue.Create("x")));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain("${a.v}").And.Contain("raw string"));
    }

    [Test]
    public void Strings_and_comments_before_a_reference_are_followed()
    {
        var code = "s = 'it''s \"quoted\" # not a comment'  # a comment with ' and \"\nx = ${a.v}";

        Assert.That(Render(code, JsonValue.Create("v")), Is.EqualTo(code.Replace("${a.v}", "\"v\"", StringComparison.Ordinal)));
    }

    [Test]
    public void A_reference_in_a_comment_cannot_end_the_comment() =>
        Assert.That(Render("# ${a.v}\nx = 1", JsonValue.Create("\nimport os")), Is.EqualTo("# \\nimport os\nx = 1"));

    [Test]
    public void A_reference_in_an_fstring_field_needs_no_backslash_or_quote_of_the_string() =>
        Assert.That(Render("x = f\"{${a.v}}\"", JsonValue.Create("ab")), Is.EqualTo("x = f\"{__import__('json').loads(bytes.fromhex('22616222'))}\""));

    [Test]
    public void Rendering_never_adds_lines()
    {
        var rendered = Render("a = ${a.v}\nb = \"${a.v}\"\nc = '''x ${a.v}'''\nd = 4", JsonValue.Create("1\n2\r\n3\u2028"), JsonValue.Create("\r\n"), JsonValue.Create("\n"));

        Assert.That(rendered.Split('\n'), Has.Length.EqualTo(4));
        Assert.That(rendered, Does.Not.Contain("\r"));
    }

    [Test]
    public void Only_code_of_python_execute_is_rendered()
    {
        using var provider = new PythonProvider();
        var template = Template.Parse("${a.v}");

        Assert.That(provider.RenderTemplate("python/execute", "context.x", template, [JsonValue.Create(1)]), Is.Null);
        Assert.That(provider.RenderTemplate("other/method", "code", template, [JsonValue.Create(1)]), Is.Null);
        Assert.That(provider.RenderTemplate("python/execute", "code", template, [JsonValue.Create(1)]), Is.EqualTo("1"));
    }
}
