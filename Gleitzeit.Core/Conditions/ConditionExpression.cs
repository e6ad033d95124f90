using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Conditions;

/// <summary>
/// A parsed <c>when</c> or <c>until</c> condition. The language is small on purpose: <c>== != &lt; &lt;= &gt; &gt;=</c>,
/// <c>contains</c>, <c>&amp;&amp; || !</c>, parentheses, string / number / boolean / null literals and <c>${...}</c>
/// references taking typed JSON values. Nothing in it calls code: values are data, whatever text they hold.
/// </summary>
internal sealed class ConditionExpression
{
    /// <summary>Longest expression accepted; a condition is a line, not a program.</summary>
    public const int MaxLength = 4096;

    /// <summary>Deepest nesting of parentheses and <c>!</c>, so hostile input cannot exhaust the stack.</summary>
    public const int MaxDepth = 64;

    private ConditionExpression(string source, ConditionNode root, IReadOnlyList<ReferenceNode> references)
    {
        Source = source;
        Root = root;
        References = references;
    }

    /// <summary>The text as written.</summary>
    public string Source { get; }

    public ConditionNode Root { get; }

    /// <summary>Every reference, in order of appearance.</summary>
    public IReadOnlyList<ReferenceNode> References { get; }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ConditionSyntaxException"/> saying what is wrong and where.</summary>
    public static ConditionExpression Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength) throw new ConditionSyntaxException($"the expression is {text.Length} characters long, over the limit of {MaxLength}", MaxLength);
        var parser = new Parser(text);
        var root = parser.ParseAll();
        return new ConditionExpression(text, root, parser.References);
    }

    private sealed class Parser(string text)
    {
        private int _pos;
        private int _depth;

        public List<ReferenceNode> References { get; } = [];

        public ConditionNode ParseAll()
        {
            SkipSpace();
            if (_pos >= text.Length) throw Error("the expression is empty: write a condition such as ${task.field} == \"value\"", 0);
            var node = ParseOr();
            SkipSpace();
            if (_pos < text.Length) throw Error($"unexpected {Describe(_pos)} after a complete condition: join conditions with && or ||", _pos);
            return node;
        }

        private ConditionNode ParseOr()
        {
            var left = ParseAnd();
            while (true)
            {
                SkipSpace();
                var at = _pos;
                if (!TryConsume("||")) return left;
                var right = ParseAnd();
                left = new LogicalNode(at, false, left, right);
            }
        }

        private ConditionNode ParseAnd()
        {
            var left = ParseComparison();
            while (true)
            {
                SkipSpace();
                var at = _pos;
                if (!TryConsume("&&")) return left;
                var right = ParseComparison();
                left = new LogicalNode(at, true, left, right);
            }
        }

        private ConditionNode ParseComparison()
        {
            var left = ParseUnary();
            SkipSpace();
            var at = _pos;
            if (ReadOperator() is not { } op) return left;
            var right = ParseUnary();
            SkipSpace();
            if (PeekOperator() is not null)
            {
                throw Error("comparisons do not chain: write (a < b) && (b < c)", _pos);
            }
            return new CompareNode(at, op, left, right);
        }

        private ConditionNode ParseUnary()
        {
            SkipSpace();
            var at = _pos;
            if (_pos < text.Length && text[_pos] == '!' && Peek(1) != '=')
            {
                _pos++;
                Enter(at);
                var operand = ParseUnary();
                _depth--;
                return new NotNode(at, operand);
            }
            return ParsePrimary();
        }

        private ConditionNode ParsePrimary()
        {
            SkipSpace();
            var at = _pos;
            if (_pos >= text.Length) throw Error("the expression ends where a value was expected: add a reference, a literal or a parenthesised condition", _pos);
            var c = text[_pos];
            if (c == '(')
            {
                _pos++;
                Enter(at);
                var inner = ParseOr();
                _depth--;
                SkipSpace();
                if (_pos >= text.Length || text[_pos] != ')') throw Error($"'(' at column {at + 1} is not closed: add ')'", _pos);
                _pos++;
                return inner;
            }
            if (c == '$' && Peek(1) == '{') return ParseReference();
            if (c is '"' or '\'') return ParseString();
            if (char.IsAsciiDigit(c) || (c is '-' or '.' && char.IsAsciiDigit(Peek(1)))) return ParseNumber();
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var word = ReadWord();
                return word switch
                {
                    "true" => new LiteralNode(at, JsonValue.Create(true), word),
                    "false" => new LiteralNode(at, JsonValue.Create(false), word),
                    "null" => new LiteralNode(at, null, word),
                    "contains" => throw Error("'contains' needs a value on its left: write ${task.list} contains \"x\"", at),
                    _ => throw Error($"unknown word '{word}': write a reference as ${{task.field}}, and quote text as \"{word}\"", at),
                };
            }
            if (c == ')') throw Error("')' without a matching '('", at);
            throw Error($"unexpected {Describe(at)} where a value was expected", at);
        }

        private ReferenceNode ParseReference()
        {
            var at = _pos;
            var close = text.IndexOf('}', _pos + 2);
            if (close < 0) throw Error("reference '${' is not closed: add '}'", at);
            var inner = text.Substring(_pos + 2, close - _pos - 2).Trim();
            Reference reference;
            try
            {
                reference = Template.ParseExpression(inner);
            }
            catch (FormatException ex)
            {
                throw Error(ex.Message, at);
            }
            _pos = close + 1;
            var node = new ReferenceNode(at, reference);
            References.Add(node);
            return node;
        }

        private LiteralNode ParseString()
        {
            var at = _pos;
            var quote = text[_pos++];
            var sb = new StringBuilder();
            while (_pos < text.Length)
            {
                var c = text[_pos++];
                if (c == quote) return new LiteralNode(at, JsonValue.Create(sb.ToString()), text[at.._pos]);
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }
                if (_pos >= text.Length) break;
                var e = text[_pos++];
                switch (e)
                {
                    case '\\': sb.Append('\\'); break;
                    case '"': sb.Append('"'); break;
                    case '\'': sb.Append('\''); break;
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    default: throw Error($"unknown escape '\\{e}' in a string: use \\\\ \\\" \\' \\n \\t or \\r", _pos - 2);
                }
            }
            throw Error($"string starting at column {at + 1} is not closed: add {quote}", at);
        }

        private LiteralNode ParseNumber()
        {
            var at = _pos;
            if (text[_pos] == '-') _pos++;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
            if (_pos < text.Length && text[_pos] == '.')
            {
                _pos++;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
            }
            if (_pos < text.Length && text[_pos] is 'e' or 'E')
            {
                var mark = _pos++;
                if (_pos < text.Length && text[_pos] is '+' or '-') _pos++;
                if (_pos >= text.Length || !char.IsAsciiDigit(text[_pos])) throw Error("a number's exponent needs digits, as in 1e3", mark);
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
            }
            if (_pos < text.Length && (char.IsAsciiLetter(text[_pos]) || text[_pos] == '_')) throw Error($"'{text[at.._pos]}' is followed by a letter: a number ends before it", _pos);
            var literal = text[at.._pos];
            if (!double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                throw Error($"'{literal}' is not a number", at);
            }
            // Keep the JSON text of the literal, so 3 stays an integer in messages.
            return new LiteralNode(at, JsonNode.Parse(NormalizeNumber(literal)), literal);
        }

        private static string NormalizeNumber(string literal)
        {
            // JSON has no leading '.' or trailing '.': 0.5 and 3.0 say the same.
            var s = literal;
            var negative = s.StartsWith('-');
            if (negative) s = s[1..];
            if (s.StartsWith('.')) s = "0" + s;
            s = s.Replace(".e", ".0e", StringComparison.OrdinalIgnoreCase).Replace(".E", ".0E", StringComparison.Ordinal);
            if (s.EndsWith('.')) s += "0";
            return (negative ? "-" : "") + s;
        }

        private ConditionOperator? ReadOperator()
        {
            var op = PeekOperator(out var length);
            if (op is null)
            {
                if (_pos < text.Length && text[_pos] == '=') throw Error("'=' assigns nothing here: compare with ==", _pos);
                return null;
            }
            _pos += length;
            return op;
        }

        private ConditionOperator? PeekOperator() => PeekOperator(out _);

        private ConditionOperator? PeekOperator(out int length)
        {
            length = 2;
            if (_pos >= text.Length) return null;
            var c = text[_pos];
            var n = Peek(1);
            switch (c)
            {
                case '=' when n == '=': return ConditionOperator.Equal;
                case '!' when n == '=': return ConditionOperator.NotEqual;
                case '<' when n == '=': return ConditionOperator.LessOrEqual;
                case '>' when n == '=': return ConditionOperator.GreaterOrEqual;
                case '<':
                    length = 1;
                    return ConditionOperator.Less;
                case '>':
                    length = 1;
                    return ConditionOperator.Greater;
            }
            if (string.CompareOrdinal(text, _pos, "contains", 0, 8) == 0 && !IsWordChar(Peek(8)))
            {
                length = 8;
                return ConditionOperator.Contains;
            }
            return null;
        }

        private bool TryConsume(string token)
        {
            if (string.CompareOrdinal(text, _pos, token, 0, token.Length) != 0) return false;
            _pos += token.Length;
            return true;
        }

        private string ReadWord()
        {
            var start = _pos;
            while (_pos < text.Length && IsWordChar(text[_pos])) _pos++;
            return text[start.._pos];
        }

        private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

        private char Peek(int offset) => _pos + offset < text.Length ? text[_pos + offset] : '\0';

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private void Enter(int at)
        {
            if (++_depth > MaxDepth) throw Error($"the expression nests deeper than {MaxDepth} levels", at);
        }

        private string Describe(int at)
        {
            var c = text[at];
            if (c == '&' && Peek(at - _pos + 1) != '&') return "'&' (write && for and)";
            if (c == '|' && Peek(at - _pos + 1) != '|') return "'|' (write || for or)";
            return char.IsControl(c) ? $"character U+{(int)c:X4}" : $"'{c}'";
        }

        private ConditionSyntaxException Error(string message, int at) =>
            new($"{message} (at column {at + 1} of the expression)", at);
    }
}
