using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Providers.Mcp.Tools;
using ModelContextProtocol.Protocol;

namespace Gleitzeit.Providers.Mcp.Tests.Tools;

public sealed class ToolResultsTests
{
    private static JsonObject Map(params ContentBlock[] blocks) => ToolResults.ToJson(new CallToolResult { Content = blocks }, "s", "t");

    [TestCase("123", "123")]
    [TestCase("-1.5", "-1.5")]
    [TestCase("""{"a":1}""", """{"a":1}""")]
    [TestCase("[1,2]", "[1,2]")]
    [TestCase("true", "true")]
    [TestCase("The sum is 5.", "\"The sum is 5.\"")]
    [TestCase("123 apples", "\"123 apples\"")]
    public void Result_is_the_text_parsed_as_json_when_it_parses(string text, string expected)
    {
        var result = Map(new TextContentBlock { Text = text });

        Assert.That(result["result"]!.ToJsonString(), Is.EqualTo(expected));
        Assert.That((string?)result["response"], Is.EqualTo(text));
    }

    [Test]
    public void Text_blocks_are_joined_by_newlines()
    {
        var result = Map(new TextContentBlock { Text = "one" }, new ImageContentBlock { Data = "AAAA"u8.ToArray(), MimeType = "image/png" }, new TextContentBlock { Text = "two" });

        Assert.That((string?)result["response"], Is.EqualTo("one\ntwo"));
        Assert.That(result["content"]!.AsArray().Select(b => (string?)b!["type"]), Is.EqualTo(new[] { "text", "image", "text" }));
    }

    [Test]
    public void Without_text_the_result_is_the_structured_content()
    {
        var result = ToolResults.ToJson(new CallToolResult { Content = [], StructuredContent = JsonSerializer.SerializeToElement(new { temperature = 21 }) }, "s", "t");

        Assert.That(result["result"]!.ToJsonString(), Is.EqualTo("""{"temperature":21}"""));
        Assert.That(result["structured"]!.ToJsonString(), Is.EqualTo("""{"temperature":21}"""));
        Assert.That((string?)result["response"], Is.EqualTo(""));
    }
}
