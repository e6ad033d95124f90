using System.Globalization;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Definitions.Yaml;

/// <summary>YAML scalars as JSON values, following the YAML 1.1 rules of the original (PyYAML <c>safe_load</c>).</summary>
internal static class YamlScalars
{
    private const string Prefix = "tag:yaml.org,2002:";

    public static bool IsNull(string text) => text is "" or "~" or "null" or "Null" or "NULL";

    public static bool? ParseBool(string text) => text switch
    {
        "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" => true,
        "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" => false,
        _ => null,
    };

    /// <summary>The scalar as JSON: plain scalars by their text (null, bool, integer, float, else string); quoted ones stay strings; core tags are honoured.</summary>
    public static JsonNode? ToJson(YScalar scalar)
    {
        var text = scalar.Value;
        if (scalar.Tag is { } tag)
        {
            return tag switch
            {
                Prefix + "str" => JsonValue.Create(text),
                Prefix + "null" => null,
                Prefix + "bool" => ParseBool(text) is { } b ? JsonValue.Create(b) : JsonValue.Create(text),
                Prefix + "int" or Prefix + "float" => ParseNumber(text) ?? JsonValue.Create(text),
                _ => JsonValue.Create(text),
            };
        }
        if (!scalar.IsPlain) return JsonValue.Create(text);
        if (IsNull(text)) return null;
        if (ParseBool(text) is { } flag) return JsonValue.Create(flag);
        return ParseNumber(text) ?? JsonValue.Create(text);
    }

    /// <summary>Integers (decimal, <c>0x</c>, <c>0o</c>, <c>_</c> separators) and finite floats; null when the text is not a number.</summary>
    public static JsonNode? ParseNumber(string text)
    {
        if (text.Length == 0 || text.Length > 400) return null;
        var c = text[0];
        if (!(char.IsAsciiDigit(c) || c is '-' or '+' or '.')) return null;
        var clean = text.Contains('_', StringComparison.Ordinal) ? text.Replace("_", "", StringComparison.Ordinal) : text;
        var negative = clean.StartsWith('-');
        var body = clean.TrimStart('-', '+');
        if (clean.Length - body.Length > 1 || body.Length == 0) return null;
        if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && body.Length > 2
            && long.TryParse(body.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex) && hex >= 0)
        {
            return JsonValue.Create(negative ? -hex : hex);
        }
        if (body.StartsWith("0o", StringComparison.OrdinalIgnoreCase) && body.Length > 2)
        {
            try
            {
                var oct = Convert.ToInt64(body[2..], 8);
                return JsonValue.Create(negative ? -oct : oct);
            }
            catch (FormatException)
            {
                return null;
            }
            catch (OverflowException)
            {
                return null;
            }
        }
        foreach (var ch in body)
        {
            if (!(char.IsAsciiDigit(ch) || ch is '.' or 'e' or 'E' or '-' or '+')) return null;
        }
        if (body.All(char.IsAsciiDigit))
        {
            if (long.TryParse(clean, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
            if (decimal.TryParse(clean, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big)) return JsonValue.Create(big);
            return null;
        }
        if (!body.Any(char.IsAsciiDigit)) return null;
        if (double.TryParse(clean, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return JsonValue.Create(d);
        return null;
    }

    /// <summary>A number node's value as a double (numbers are created as long, decimal or double); null for anything else.</summary>
    public static double? ToDouble(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<decimal>(out var m) => (double)m,
        _ => null,
    };

    /// <summary>A tree as JSON (aliases become copies; their total size is bounded by <see cref="YamlTreeReader.MaxNodes"/>).</summary>
    public static JsonNode? ToJson(YNode node) => node switch
    {
        YScalar s => ToJson(s),
        YSequence seq => new JsonArray(seq.Items.Select(ToJson).ToArray()),
        YMapping map => ToObject(map),
        _ => null,
    };

    public static JsonObject ToObject(YMapping map)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in map.Entries) obj[k.Value] = ToJson(v);
        return obj;
    }
}
