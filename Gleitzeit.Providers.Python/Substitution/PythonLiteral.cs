using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gleitzeit.Providers.Python.Substitution;

/// <summary>Writes JSON values as Python source: literals that evaluate to exactly the value, whatever text it holds.</summary>
internal static partial class PythonLiteral
{
    private const int MaxLiteralDepth = 64;

    /// <summary>A Python expression for <paramref name="value"/>: <c>None</c>, <c>True</c>, numbers, <c>"..."</c>, lists, dicts.</summary>
    public static string Of(JsonNode? value)
    {
        var sb = new StringBuilder();
        Append(sb, value, 0);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, JsonNode? value, int depth)
    {
        if (depth > MaxLiteralDepth)
        {
            // Python's parser limits nesting; deep values go through json.loads instead.
            sb.Append(JsonExpression(value, '"'));
            return;
        }
        switch (value)
        {
            case null:
                sb.Append("None");
                break;
            case JsonObject obj:
                sb.Append('{');
                var first = true;
                foreach (var (key, item) in obj)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendString(sb, key);
                    sb.Append(": ");
                    Append(sb, item, depth + 1);
                }
                sb.Append('}');
                break;
            case JsonArray array:
                sb.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Append(sb, array[i], depth + 1);
                }
                sb.Append(']');
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                        AppendString(sb, v.GetValue<string>());
                        break;
                    case JsonValueKind.True:
                        sb.Append("True");
                        break;
                    case JsonValueKind.False:
                        sb.Append("False");
                        break;
                    case JsonValueKind.Number:
                        AppendNumber(sb, v);
                        break;
                    default:
                        sb.Append("None");
                        break;
                }
                break;
        }
    }

    private static void AppendNumber(StringBuilder sb, JsonValue v)
    {
        string text;
        try
        {
            text = v.ToJsonString();
        }
        catch (ArgumentException)
        {
            text = Convert.ToString(v.GetValue<object>(), CultureInfo.InvariantCulture) ?? "nan";
        }
        if (!JsonNumber().IsMatch(text))
        {
            sb.Append("float(");
            AppendString(sb, text);
            sb.Append(')');
        }
        else if (text[0] == '-')
        {
            sb.Append('(').Append(text).Append(')');
        }
        else
        {
            sb.Append(text);
        }
    }

    /// <summary>A double-quoted Python str literal of <paramref name="text"/>.</summary>
    public static void AppendString(StringBuilder sb, string text)
    {
        sb.Append('"');
        AppendStringContent(sb, text, fString: false);
        sb.Append('"');
    }

    /// <summary>A Python bytes literal of the UTF-8 of <paramref name="text"/>.</summary>
    public static void AppendBytes(StringBuilder sb, string text)
    {
        sb.Append("b\"");
        AppendBytesContent(sb, text);
        sb.Append('"');
    }

    /// <summary>
    /// Escaped content for the inside of a non-raw str literal of either quote kind, single or triple: backslashes,
    /// both quote characters, line breaks and other control characters escaped; braces doubled inside an f-string.
    /// </summary>
    public static void AppendStringContent(StringBuilder sb, string text, bool fString)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\'': sb.Append("\\'"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '{' when fString: sb.Append("{{"); break;
                case '}' when fString: sb.Append("}}"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        sb.Append(c).Append(text[++i]);
                    }
                    else if (c < 0x20 || c is >= '\u007f' and <= '\u009f' || c is '\u2028' or '\u2029' or '\ufeff' || char.IsSurrogate(c))
                    {
                        sb.Append(c <= '\u00ff' ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
    }

    /// <summary>Escaped content for the inside of a non-raw bytes literal: the UTF-8 of <paramref name="text"/>, ASCII kept, the rest as <c>\xNN</c>.</summary>
    public static void AppendBytesContent(StringBuilder sb, string text)
    {
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            switch (b)
            {
                case (byte)'\\': sb.Append("\\\\"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\'': sb.Append("\\'"); break;
                default:
                    if (b is < 0x20 or >= 0x7f) sb.Append($"\\x{b:x2}");
                    else sb.Append((char)b);
                    break;
            }
        }
    }

    /// <summary>
    /// <c>__import__('json').loads(bytes.fromhex('...'))</c>: needs neither backslashes nor the other quote
    /// character, so it also fits inside an f-string replacement field on Python before 3.12.
    /// </summary>
    public static string JsonExpression(JsonNode? value, char quote)
    {
        var json = value is null ? "null"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(value);
        return $"__import__({quote}json{quote}).loads(bytes.fromhex({quote}{Convert.ToHexStringLower(json)}{quote}))";
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();
}
