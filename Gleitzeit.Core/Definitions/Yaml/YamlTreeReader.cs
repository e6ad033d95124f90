using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gleitzeit.Core.Definitions.Yaml;

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
    public static YNode? Read(string text)
    {
        YamlText.EnsureNoNul(text);
        using var reader = new StringReader(text);
        try
        {
            return new YamlTreeReader().ReadDocument(reader);
        }
        catch (YamlTreeException ex) when (MentionsTab(ex.Message) && YamlText.FindIndentationTab(text, ex.Line, ex.Column) is { } tab)
        {
            // The parser places a tab error at the end of the token before it, or at the start of the document.
            throw new YamlTreeException(
                "a tab in indentation: YAML indents with spaces only; replace the tab with spaces", tab.Line, tab.Column);
        }
    }

    /// <summary>The parser's words for a tab where indentation is ("found a tab character that violate indentation", "found invalid tab as indentation").</summary>
    private static bool MentionsTab(string message) =>
        message.Contains("tab character", StringComparison.OrdinalIgnoreCase) || message.Contains("invalid tab", StringComparison.OrdinalIgnoreCase);

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
