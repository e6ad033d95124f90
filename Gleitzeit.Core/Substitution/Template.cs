using System.Text;

namespace Gleitzeit.Core.Substitution;

/// <summary>
/// A string parameter parsed into literal text and <c>${...}</c> references. <c>$${</c> writes a literal <c>${</c>.
/// </summary>
public sealed class Template
{
    private Template(string source, IReadOnlyList<TemplatePart> parts)
    {
        Source = source;
        Parts = parts;
        var references = new List<Reference>(parts.Count);
        foreach (var part in parts)
        {
            if (part.Reference is not null) references.Add(part.Reference);
        }
        References = references;
    }

    public string Source { get; }

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
        var parts = new List<TemplatePart>();
        var literal = new StringBuilder();
        var literalStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '$' && Next(text, i + 1) == '$' && Next(text, i + 2) == '{')
            {
                literal.Append("${");
                i += 3;
                continue;
            }
            if (text[i] == '$' && Next(text, i + 1) == '{')
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0)
                {
                    throw new FormatException($"unterminated reference '{Excerpt(text, i)}': a '}}' is missing (write $${{ for a literal ${{)");
                }
                if (literal.Length > 0) parts.Add(new TemplatePart(literal.ToString(), null, literalStart, i - literalStart));
                literal.Clear();
                var expression = text.Substring(i + 2, close - i - 2).Trim();
                parts.Add(new TemplatePart(null, ParseExpression(expression), i, close - i + 1));
                i = close + 1;
                literalStart = i;
                continue;
            }
            literal.Append(text[i]);
            i++;
        }
        if (literal.Length > 0) parts.Add(new TemplatePart(literal.ToString(), null, literalStart, text.Length - literalStart));
        return new Template(text, parts);
    }

    private static char Next(string text, int index) => index < text.Length ? text[index] : '\0';

    private static string Excerpt(string text, int start) => text.Length - start > 40 ? text.Substring(start, 40) + "…" : text[start..];

    /// <summary>Parses <c>task.field[0].name</c>.</summary>
    public static Reference ParseExpression(string expression)
    {
        if (expression.Length == 0) throw new FormatException("empty reference '${}': write ${task.field}");
        var i = 0;
        while (i < expression.Length && expression[i] is not '.' and not '[') i++;
        var root = expression[..i].Trim();
        if (root.Length == 0) throw new FormatException($"reference '${{{expression}}}' has no task id before '{expression[0]}'");
        if (root.IndexOfAny(['{', '$', ']']) >= 0) throw new FormatException($"reference '${{{expression}}}' has a bad task id '{root}'");
        var path = new List<PathSegment>();
        while (i < expression.Length)
        {
            if (expression[i] == '.')
            {
                var start = ++i;
                while (i < expression.Length && expression[i] is not '.' and not '[') i++;
                var field = expression[start..i];
                if (field.Length == 0) throw new FormatException($"reference '${{{expression}}}' has an empty field name at position {start}");
                if (field.Contains(']', StringComparison.Ordinal)) throw new FormatException($"reference '${{{expression}}}' has a stray ']'");
                path.Add(new PathSegment(field, -1));
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
                path.Add(new PathSegment(null, index));
                i = close + 1;
            }
        }
        return new Reference(root, path, expression);
    }
}
