using System.Text;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Providers.Python.Substitution;

/// <summary>
/// Renders <c>${...}</c> references inside Python <c>code</c> so that values stay data (ARCHITECTURE §5). A light
/// tokenizer follows strings (all prefixes, triple quotes, f-string replacement fields) and comments around each
/// reference:
/// <list type="bullet">
/// <item>in code (<c>x = ${a.items}</c>): a Python literal of the value;</item>
/// <item>a string literal that holds exactly one reference (<c>"${a.response}"</c>, <c>'''${a.response}'''</c>,
/// <c>f"${a.x}"</c>): the whole string literal becomes a literal of the value (with its JSON type);</item>
/// <item>inside a longer string (<c>"Topic: ${a.response}"</c>): the value's text, escaped for that string;</item>
/// <item>inside a comment: the value's text with line breaks escaped.</item>
/// </list>
/// Rendering never adds a line, so line numbers in tracebacks still match the code as written.
/// </summary>
internal static class PythonCodeRenderer
{
    public static string Render(Template template, IReadOnlyList<JsonNode?> values)
    {
        var renderer = new State();
        var parts = template.Parts;
        var next = 0;
        var skip = 0;
        for (var p = 0; p < parts.Count; p++)
        {
            var part = parts[p];
            if (part.Reference is null)
            {
                renderer.Scan(part.Text!, skip);
                skip = 0;
                continue;
            }
            var following = p + 1 < parts.Count ? parts[p + 1].Text : null;
            skip = renderer.Reference(values[next++], following, part.Reference);
        }
        return renderer.Output.ToString();
    }

    private abstract class Mode;

    private sealed class StringMode(string prefix, char quote, bool triple, int outputStart, int contentStart) : Mode
    {
        public string Prefix { get; } = prefix;

        public char Quote { get; } = quote;

        public bool Triple { get; } = triple;

        public bool Raw { get; } = prefix.Contains('r', StringComparison.OrdinalIgnoreCase);

        public bool Format { get; } = prefix.Contains('f', StringComparison.OrdinalIgnoreCase);

        public bool Bytes { get; } = prefix.Contains('b', StringComparison.OrdinalIgnoreCase);

        public int OutputStart { get; set; } = outputStart;

        public int ContentStart { get; set; } = contentStart;

        /// <summary>The last character was a backslash that escapes the next one.</summary>
        public bool Escaped { get; set; }

        public string Delimiter => Triple ? new string(Quote, 3) : Quote.ToString();
    }

    /// <summary>Code inside an f-string's <c>{...}</c>; <see cref="Depth"/> counts open brackets.</summary>
    private sealed class FieldMode(StringMode owner) : Mode
    {
        public StringMode Owner { get; } = owner;

        public int Depth { get; set; }
    }

    private sealed class State
    {
        private readonly Stack<Mode> _modes = new();
        private bool _comment;

        public StringBuilder Output { get; } = new();

        public void Scan(string text, int skip)
        {
            for (var i = skip; i < text.Length; i++)
            {
                var c = text[i];
                if (_comment)
                {
                    Output.Append(c);
                    if (c is '\n' or '\r') _comment = false;
                    continue;
                }
                if (_modes.TryPeek(out var top) && top is StringMode s)
                {
                    if (s.Escaped)
                    {
                        s.Escaped = false;
                        Output.Append(c);
                    }
                    else if (c == '\\')
                    {
                        s.Escaped = true;
                        Output.Append(c);
                    }
                    else if (s.Format && c is '{' or '}' && At(text, i + 1) == c)
                    {
                        Output.Append(c).Append(c);
                        i++;
                    }
                    else if (s.Format && c == '{')
                    {
                        Output.Append(c);
                        _modes.Push(new FieldMode(s));
                    }
                    else if (c == s.Quote && (!s.Triple || (At(text, i + 1) == c && At(text, i + 2) == c)))
                    {
                        Output.Append(s.Delimiter);
                        i += s.Delimiter.Length - 1;
                        _modes.Pop();
                    }
                    else
                    {
                        Output.Append(c);
                        if (c is '\n' or '\r' && !s.Triple) _modes.Pop(); // unterminated: Python reports it; keep going
                    }
                    continue;
                }

                var field = top as FieldMode;
                switch (c)
                {
                    case '#':
                        _comment = true;
                        Output.Append(c);
                        break;
                    case '"' or '\'':
                        var prefix = PrefixBefore();
                        var triple = At(text, i + 1) == c && At(text, i + 2) == c;
                        var start = Output.Length - prefix.Length;
                        var mode = new StringMode(prefix, c, triple, start, 0);
                        Output.Append(mode.Delimiter);
                        i += mode.Delimiter.Length - 1;
                        mode.ContentStart = Output.Length;
                        _modes.Push(mode);
                        break;
                    case '(' or '[' or '{' when field is not null:
                        field.Depth++;
                        Output.Append(c);
                        break;
                    case ')' or ']' when field is not null:
                        field.Depth--;
                        Output.Append(c);
                        break;
                    case '}' when field is not null:
                        if (field.Depth == 0) _modes.Pop();
                        else field.Depth--;
                        Output.Append(c);
                        break;
                    default:
                        Output.Append(c);
                        break;
                }
            }
        }

        /// <summary>Renders one reference; returns how many characters of the following text to skip (a closing quote it consumed).</summary>
        public int Reference(JsonNode? value, string? following, Reference reference)
        {
            if (_comment)
            {
                var text = ReferenceResolver.RenderText(value);
                var sb = new StringBuilder();
                PythonLiteral.AppendStringContent(sb, text, fString: false);
                Output.Append(sb); // a comment only ends at a line break, and those are escaped
                return 0;
            }
            _modes.TryPeek(out var top);
            switch (top)
            {
                case StringMode s:
                    return InString(s, value, following, reference);
                case FieldMode f:
                    Output.Append(PythonLiteral.JsonExpression(value, f.Owner.Quote == '"' ? '\'' : '"'));
                    return 0;
                default:
                    Output.Append(PythonLiteral.Of(value));
                    return 0;
            }
        }

        private int InString(StringMode s, JsonNode? value, string? following, Reference reference)
        {
            var wholeString = Output.Length == s.ContentStart && !s.Escaped && following is not null && following.StartsWith(s.Delimiter, StringComparison.Ordinal);
            if (wholeString)
            {
                // "${a.x}": the string literal is replaced by a literal of the value.
                Output.Length = s.OutputStart;
                _modes.Pop();
                var insideField = _modes.TryPeek(out var outer) && outer is FieldMode;
                if (s.Bytes)
                {
                    PythonLiteral.AppendBytes(Output, ReferenceResolver.RenderText(value));
                }
                else if (insideField)
                {
                    Output.Append(PythonLiteral.JsonExpression(value, s.Quote));
                }
                else
                {
                    Output.Append(PythonLiteral.Of(value));
                }
                return s.Delimiter.Length;
            }

            var text = ReferenceResolver.RenderText(value);
            if (!s.Raw)
            {
                if (s.Escaped)
                {
                    // "\${x}": Python keeps an unknown escape as a backslash; complete it so it cannot swallow our first character.
                    Output.Append('\\');
                    s.Escaped = false;
                }
                if (s.Bytes) PythonLiteral.AppendBytesContent(Output, text);
                else PythonLiteral.AppendStringContent(Output, text, s.Format);
                return 0;
            }

            // A raw string cannot escape anything: close it, add an adjacent literal, reopen it.
            var endsWithQuote = Output.Length > s.ContentStart && Output[^1] == s.Quote;
            if (s.Escaped || (s.Triple && endsWithQuote))
            {
                throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
                    $"{reference} sits in a raw string right after a {(s.Escaped ? "backslash" : "quote")}, where its value cannot be inserted safely; " +
                    "move the reference out of the raw string (for example into its own variable).");
            }
            Output.Append(s.Delimiter).Append(' ');
            if (s.Bytes) PythonLiteral.AppendBytes(Output, text);
            else PythonLiteral.AppendString(Output, text);
            Output.Append(' ');
            s.OutputStart = Output.Length;
            Output.Append(s.Prefix).Append(s.Delimiter);
            s.ContentStart = Output.Length;
            return 0;
        }

        private string PrefixBefore()
        {
            var n = 0;
            while (n < 2 && Output.Length - n - 1 >= 0 && "rRbBuUfF".Contains(Output[Output.Length - n - 1], StringComparison.Ordinal)) n++;
            while (n > 0)
            {
                var before = Output.Length - n - 1;
                if (before < 0 || !(char.IsLetterOrDigit(Output[before]) || Output[before] == '_')) break;
                n--; // part of a longer name, not a prefix: an identifier cannot touch a string anyway
                if (n == 0) return "";
            }
            return Output.ToString(Output.Length - n, n);
        }

        private static char At(string text, int index) => index < text.Length ? text[index] : '\0';
    }
}
