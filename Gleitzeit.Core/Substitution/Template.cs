using System.Collections.Concurrent;
using System.Text;

namespace Gleitzeit.Core.Substitution;

/// <summary>
/// A string parameter parsed into literal text and <c>${...}</c> references. <c>$${</c> writes a literal <c>${</c>.
/// </summary>
public sealed class Template
{
    private static readonly char[] BadRootChars = ['{', '$', ']'];

    private Template(string source, TemplatePart[] parts)
    {
        Source = source;
        Parts = parts;
        var count = 0;
        foreach (var part in parts)
        {
            if (part.Reference is not null) count++;
        }
        var references = count == 0 ? [] : new Reference[count];
        count = 0;
        foreach (var part in parts)
        {
            if (part.Reference is not null) references[count++] = part.Reference;
        }
        References = references;
    }

    /// <summary>The template text as written.</summary>
    public string Source { get; }

    /// <summary>The literal texts and references the template is made of, in order.</summary>
    public IReadOnlyList<TemplatePart> Parts { get; }

    /// <summary>The references, in order.</summary>
    public IReadOnlyList<Reference> References { get; }

    /// <summary>The whole string is one reference: it takes the referenced value with its JSON type.</summary>
    public bool IsSingleReference => Parts.Count == 1 && Parts[0].Reference is not null;

    /// <summary>Whether the text may hold references at all (cheap pre-check).</summary>
    public static bool MayContainReferences(string text) => text.Contains("${", StringComparison.Ordinal);

    /// <summary>Parses a template; throws <see cref="FormatException"/> with a message saying what is wrong and where.</summary>
    public static Template Parse(string text)
    {
        // Every attempt of a task with references parses its templates (and validation parses them once more), so the
        // common shapes allocate only what the template keeps: literal text is cut from the source unless it holds $${,
        // and a template of one part (one reference, or text alone) needs no list.
        var parts = new PartList();
        StringBuilder? escaped = null;
        var literalStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '$' && Next(text, i + 1) == '$' && Next(text, i + 2) == '{')
            {
                escaped ??= new StringBuilder();
                escaped.Append(text, literalStart, i - literalStart).Append("${");
                i += 3;
                literalStart = i;
                continue;
            }
            if (text[i] == '$' && Next(text, i + 1) == '{')
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0)
                {
                    throw new FormatException($"unterminated reference '{Excerpt(text, i)}': a '}}' is missing (write $${{ for a literal ${{)");
                }
                AddLiteral(ref parts, text, ref escaped, literalStart, i);
                var expression = text.Substring(i + 2, close - i - 2).Trim();
                parts.Add(new TemplatePart(null, ParseExpression(expression), i, close - i + 1));
                i = close + 1;
                literalStart = i;
                continue;
            }
            i++;
        }
        AddLiteral(ref parts, text, ref escaped, literalStart, text.Length);
        return new Template(text, parts.ToArray());
    }

    /// <summary>The parts found so far: the first one aside, a list only from the second on.</summary>
    private struct PartList
    {
        private TemplatePart _first;
        private List<TemplatePart>? _more;

        public int Count { get; private set; }

        public readonly TemplatePart Last => _more is { } more ? more[^1] : _first;

        public void Add(TemplatePart part)
        {
            if (Count == 0) _first = part;
            else (_more ??= [_first]).Add(part);
            Count++;
        }

        public readonly TemplatePart[] ToArray() => Count switch
        {
            0 => [],
            1 => [_first],
            _ => [.. _more!],
        };
    }

    /// <summary>
    /// The reference a text that is exactly one <c>${...}</c> holds, as <see cref="Parse"/> would find it, without the
    /// template around it (the common parameter: each attempt resolves it); false for any other text.
    /// Throws <see cref="FormatException"/> as <see cref="Parse"/> does for a malformed reference.
    /// </summary>
    internal static bool TryParseSingleReference(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Reference? reference)
    {
        reference = null;
        if (text.Length < 3 || text[0] != '$' || text[1] != '{' || text.IndexOf('}', 2) != text.Length - 1) return false;
        reference = ParseExpression(text.Substring(2, text.Length - 3).Trim());
        return true;
    }

    /// <summary>The literal text before <paramref name="end"/> (since the last part), unescaped, as one part; none when empty.</summary>
    private static void AddLiteral(ref PartList parts, string text, ref StringBuilder? escaped, int literalStart, int end)
    {
        // The part's Start/Length cover the source text since the previous part, $${ escapes included.
        var partStart = parts.Count == 0 ? 0 : parts.Last.Start + parts.Last.Length;
        string literal;
        if (escaped is not null)
        {
            escaped.Append(text, literalStart, end - literalStart);
            literal = escaped.ToString();
            escaped = null;
        }
        else
        {
            literal = end > literalStart ? text.Substring(literalStart, end - literalStart) : "";
        }
        if (literal.Length > 0) parts.Add(new TemplatePart(literal, null, partStart, end - partStart));
    }

    private static char Next(string text, int index) => index < text.Length ? text[index] : '\0';

    private static string Excerpt(string text, int start) => text.Length - start > 40 ? text.Substring(start, 40) + "…" : text[start..];

    /// <summary>Parses <c>task.field[0].name</c>.</summary>
    public static Reference ParseExpression(string expression)
    {
        if (expression.Length == 0) throw new FormatException("empty reference '${}': write ${task.field}");
        var i = 0;
        while (i < expression.Length && expression[i] is not '.' and not '[') i++;
        var root = (i == expression.Length ? expression : expression[..i]).Trim();
        if (root.Length == 0) throw new FormatException($"reference '${{{expression}}}' has no task id before '{expression[0]}'");
        if (root.IndexOfAny(BadRootChars) >= 0) throw new FormatException($"reference '${{{expression}}}' has a bad task id '{root}'");
        // Most references have one step (${task.field}): that one is kept aside, a list only from the second on.
        PathSegment? first = null;
        List<PathSegment>? more = null;
        while (i < expression.Length)
        {
            if (expression[i] == '.')
            {
                var start = ++i;
                while (i < expression.Length && expression[i] is not '.' and not '[') i++;
                var field = expression.AsSpan(start, i - start);
                if (field.Length == 0) throw new FormatException($"reference '${{{expression}}}' has an empty field name at position {start}");
                if (field.Contains(']')) throw new FormatException($"reference '${{{expression}}}' has a stray ']'");
                if (first is null && i == expression.Length) return new Reference(root, FieldPath(field), expression);
                Add(new PathSegment(field.ToString(), -1), ref first, ref more);
            }
            else
            {
                var close = expression.IndexOf(']', i);
                if (close < 0) throw new FormatException($"reference '${{{expression}}}' has '[' without ']'");
                var inner = expression[(i + 1)..close].Trim();
                if (!int.TryParse(inner, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var index) || index < 0)
                {
                    throw new FormatException($"reference '${{{expression}}}' has index '[{inner}]': an index is a whole number ≥ 0");
                }
                Add(new PathSegment(null, index), ref first, ref more);
                i = close + 1;
            }
        }
        PathSegment[] path = more is not null ? [.. more] : first is { } only ? [only] : [];
        return new Reference(root, path, expression);
    }

    /// <summary>
    /// The path of a reference with one field (<c>${task.response}</c>, the common kind), shared by every reference to that
    /// field: a workflow names few fields, and each task's attempt parses its references again. The first
    /// <see cref="MaxSharedFieldPaths"/> names are kept; any further one gets a path of its own.
    /// </summary>
    private static PathSegment[] FieldPath(ReadOnlySpan<char> field)
    {
        if (FieldPaths.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(field, out var shared)) return shared;
        PathSegment[] path = [new PathSegment(field.ToString(), -1)];
        if (Volatile.Read(ref _sharedFieldPaths) < MaxSharedFieldPaths && FieldPaths.TryAdd(path[0].Field!, path))
        {
            Interlocked.Increment(ref _sharedFieldPaths);
        }
        return path;
    }

    private const int MaxSharedFieldPaths = 1024;
    private static readonly ConcurrentDictionary<string, PathSegment[]> FieldPaths = new(StringComparer.Ordinal);
    private static int _sharedFieldPaths;

    private static void Add(PathSegment segment, ref PathSegment? first, ref List<PathSegment>? more)
    {
        if (more is not null) more.Add(segment);
        else if (first is { } previous) more = [previous, segment];
        else first = segment;
    }
}
