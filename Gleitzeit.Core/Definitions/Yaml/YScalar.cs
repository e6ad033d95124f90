using System.Text.Json.Nodes;
using YamlDotNet.Core;

namespace Gleitzeit.Core.Definitions.Yaml;

internal sealed class YScalar : YNode
{
    public YScalar(string value, ScalarStyle style, string? tag, int line, int column) : base(line, column)
    {
        Value = value;
        Style = style;
        Tag = tag;
    }

    public string Value { get; }

    public ScalarStyle Style { get; }

    public string? Tag { get; }

    /// <summary>Plain (unquoted, untagged): its type comes from its text (<c>5</c> is a number, <c>"5"</c> a string).</summary>
    public bool IsPlain => Style is ScalarStyle.Plain or ScalarStyle.Any && Tag is null;

    public bool IsNull => IsPlain ? YamlScalars.IsNull(Value) : Tag is "tag:yaml.org,2002:null";

    public override string Kind => IsNull ? "null" : YamlScalars.ToJson(this) switch
    {
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => "a string",
        JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "a boolean",
        JsonValue => "a number",
        _ => "null",
    };
}
