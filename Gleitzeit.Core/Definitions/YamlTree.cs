using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gleitzeit.Core.Definitions;

/// <summary>A YAML node with the position it starts at (1-based line and column).</summary>
internal abstract class YNode
{
    protected YNode(int line, int column)
    {
        Line = line;
        Column = column;
    }

    public int Line { get; }

    public int Column { get; }

    /// <summary>Nodes in this subtree, aliases counted as the nodes they stand for.</summary>
    public long Size { get; set; } = 1;

    public abstract string Kind { get; }
}

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

internal sealed class YSequence(int line, int column) : YNode(line, column)
{
    public List<YNode> Items { get; } = [];

    public override string Kind => "a list";
}

internal sealed class YMapping(int line, int column) : YNode(line, column)
{
    public List<KeyValuePair<YScalar, YNode>> Entries { get; } = [];

    public override string Kind => "a mapping";

    public YNode? Get(string key)
    {
        foreach (var (k, v) in Entries)
        {
            if (k.Value == key) return v;
        }
        return null;
    }

    public YScalar? GetKey(string key)
    {
        foreach (var (k, _) in Entries)
        {
            if (k.Value == key) return k;
        }
        return null;
    }
}

/// <summary>A problem in the YAML itself, at a position.</summary>
internal sealed class YamlTreeException(string message, long line, long column) : Exception(message)
{
    public int Line { get; } = (int)Math.Min(line, int.MaxValue);

    public int Column { get; } = (int)Math.Min(column, int.MaxValue);
}

/// <summary>
/// Reads one YAML document into a tree of <see cref="YNode"/> from the parser's events, keeping positions.
/// Aliases share the anchored node (nothing is copied); their expanded size counts towards <see cref="MaxNodes"/>,
/// so a "billion laughs" document is refused after reading its text once, with memory bounded by the text.
/// </summary>
internal sealed class YamlTreeReader
{
    /// <summary>Most nodes a document may stand for once aliases are expanded.</summary>
    public const long MaxNodes = 1_000_000;

    /// <summary>Deepest nesting of lists and mappings.</summary>
    public const int MaxDepth = 200;

    private readonly Dictionary<string, YNode> _anchors = new(StringComparer.Ordinal);
    private long _total;

    /// <summary>The document's root, or null for an empty document. Throws <see cref="YamlTreeException"/>.</summary>
    public static YNode? Read(TextReader text) => new YamlTreeReader().ReadDocument(text);

    private YNode? ReadDocument(TextReader text)
    {
        var parser = new Parser(text);
        try
        {
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _)) return null;
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, 0);
            parser.Consume<DocumentEnd>();
            if (parser.Current is DocumentStart next)
            {
                throw new YamlTreeException("the file holds more than one YAML document ('---'): a workflow file holds one", next.Start.Line, next.Start.Column);
            }
            return root;
        }
        catch (YamlException ex)
        {
            var message = ex.Message;
            // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the position is reported separately.
            var cut = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith("(Line:", StringComparison.Ordinal) && cut > 0) message = message[(cut + 3)..];
            if (ex.InnerException is { } inner && message.Contains("See inner exception", StringComparison.Ordinal)) message = inner.Message;
            throw new YamlTreeException("YAML syntax error: " + message, ex.Start.Line, ex.Start.Column);
        }
    }

    private YNode ReadNode(IParser parser, int depth)
    {
        var ev = parser.Current ?? throw new YamlTreeException("unexpected end of the YAML text", 0, 0);
        var line = (int)ev.Start.Line;
        var column = (int)ev.Start.Column;
        switch (ev)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new YamlTreeException($"alias '*{alias.Value.Value}' names no anchor defined before it", line, column);
                }
                Count(target.Size, line, column);
                return target;

            case Scalar scalar:
                parser.MoveNext();
                var tag = scalar.Tag.IsEmpty || scalar.Tag.Value == "!" ? null : scalar.Tag.Value;
                var node = new YScalar(scalar.Value, scalar.Style, tag, line, column);
                Count(1, line, column);
                Anchor(scalar, node);
                return node;

            case SequenceStart start:
            {
                if (depth >= MaxDepth) throw new YamlTreeException($"lists and mappings are nested deeper than {MaxDepth} levels", line, column);
                parser.MoveNext();
                var seq = new YSequence(line, column);
                Count(1, line, column);
                while (parser.Current is not SequenceEnd)
                {
                    var item = ReadNode(parser, depth + 1);
                    seq.Items.Add(item);
                    seq.Size += item.Size;
                }
                parser.MoveNext();
                Anchor(start, seq);
                return seq;
            }

            case MappingStart start:
            {
                if (depth >= MaxDepth) throw new YamlTreeException($"lists and mappings are nested deeper than {MaxDepth} levels", line, column);
                parser.MoveNext();
                var map = new YMapping(line, column);
                Count(1, line, column);
                List<YMapping>? merges = null;
                while (parser.Current is not MappingEnd)
                {
                    var keyNode = ReadNode(parser, depth + 1);
                    var value = ReadNode(parser, depth + 1);
                    if (keyNode is not YScalar key)
                    {
                        throw new YamlTreeException($"a mapping key must be a plain value, not {keyNode.Kind}", keyNode.Line, keyNode.Column);
                    }
                    if (key.Value == "<<" && key.IsPlain)
                    {
                        (merges ??= []).AddRange(MergeSources(value));
                        continue;
                    }
                    if (map.GetKey(key.Value) is { } first)
                    {
                        throw new YamlTreeException($"duplicate key '{key.Value}' (first at line {first.Line}): keys of a mapping must be unique", key.Line, key.Column);
                    }
                    map.Entries.Add(new(key, value));
                    map.Size += 1 + value.Size;
                }
                parser.MoveNext();
                if (merges is not null)
                {
                    // YAML merge keys: entries of the merged mappings that the mapping does not set itself, first source wins.
                    foreach (var source in merges)
                    {
                        foreach (var (k, v) in source.Entries)
                        {
                            if (map.GetKey(k.Value) is not null) continue;
                            map.Entries.Add(new(k, v));
                            map.Size += 1 + v.Size;
                            Count(1 + v.Size, line, column);
                        }
                    }
                }
                Anchor(start, map);
                return map;
            }

            default:
                throw new YamlTreeException($"unexpected YAML element {ev.GetType().Name}", line, column);
        }
    }

    private static IEnumerable<YMapping> MergeSources(YNode value) => value switch
    {
        YMapping m => [m],
        YSequence s when s.Items.All(i => i is YMapping) => s.Items.Cast<YMapping>(),
        _ => throw new YamlTreeException("a merge key '<<' needs a mapping or a list of mappings", value.Line, value.Column),
    };

    private void Anchor(NodeEvent ev, YNode node)
    {
        if (!ev.Anchor.IsEmpty) _anchors[ev.Anchor.Value] = node;
    }

    private void Count(long nodes, int line, int column)
    {
        _total += nodes;
        if (_total > MaxNodes)
        {
            throw new YamlTreeException(
                $"the document expands to more than {MaxNodes:N0} nodes (aliases counted as copies): refusing it; this looks like an alias bomb", line, column);
        }
    }
}

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
