using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Conditions;

/// <summary>
/// Evaluates a <see cref="ConditionExpression"/> over typed JSON values. Comparing values of different types (other than
/// with <c>null</c>), ordering anything but two numbers or two strings, or using a non-boolean with <c>&amp;&amp; || !</c>
/// is an error naming the expression and the value, never a silent false.
/// </summary>
internal static class ConditionEvaluator
{
    private const int ShownValueLength = 120;

    /// <summary>
    /// True or false; throws <see cref="GleitzeitException"/> (TASK_CONDITION_ERROR) naming <paramref name="what"/>
    /// (<c>when</c>, <c>loop.until</c>), the expression and the offending value. <paramref name="lookup"/> gives a
    /// reference's value, or throws a <see cref="GleitzeitException"/> saying what is missing.
    /// </summary>
    public static bool Evaluate(ConditionExpression expression, Func<Reference, JsonNode?> lookup, string what)
    {
        var evaluator = new Run(expression, lookup, what);
        var value = evaluator.Value(expression.Root);
        if (!IsBool(value, out var result))
        {
            throw evaluator.Fail($"the condition gives {Show(value)}, not true or false: compare it, e.g. {expression.Source.Trim()} == true");
        }
        return result;
    }

    private sealed class Run(ConditionExpression expression, Func<Reference, JsonNode?> lookup, string what)
    {
        public JsonNode? Value(ConditionNode node)
        {
            switch (node)
            {
                case LiteralNode literal:
                    return literal.Value;
                case ReferenceNode reference:
                    try
                    {
                        return lookup(reference.Reference);
                    }
                    catch (GleitzeitException ex)
                    {
                        throw Fail(ex.Message);
                    }
                case NotNode not:
                    return JsonValue.Create(!Bool(not.Operand, "!"));
                case LogicalNode logical:
                    var left = Bool(logical.Left, logical.IsAnd ? "&&" : "||");
                    if (logical.IsAnd ? !left : left) return JsonValue.Create(left);
                    return JsonValue.Create(Bool(logical.Right, logical.IsAnd ? "&&" : "||"));
                case CompareNode compare:
                    return JsonValue.Create(Compare(compare));
                default:
                    throw new InvalidOperationException($"unknown condition node {node.GetType().Name}");
            }
        }

        private bool Bool(ConditionNode node, string op)
        {
            var value = Value(node);
            if (IsBool(value, out var b)) return b;
            throw Fail($"'{op}' needs true or false, but {Describe(node)} is {Show(value)}");
        }

        private bool Compare(CompareNode node)
        {
            var left = Value(node.Left);
            var right = Value(node.Right);
            var lk = Kind(left);
            var rk = Kind(right);
            switch (node.Operator)
            {
                case ConditionOperator.Equal:
                case ConditionOperator.NotEqual:
                    if (lk != rk && lk != JsonKind.Null && rk != JsonKind.Null)
                    {
                        throw Fail($"'{Symbol(node.Operator)}' compares values of one type, but {Describe(node.Left)} is {Show(left)} and {Describe(node.Right)} is {Show(right)}");
                    }
                    var equal = JsonEquals(left, right);
                    return node.Operator == ConditionOperator.Equal ? equal : !equal;
                case ConditionOperator.Contains:
                    return Contains(node, left, right, lk, rk);
                default:
                    int order;
                    if (lk == JsonKind.Number && rk == JsonKind.Number) order = Number(left!).CompareTo(Number(right!));
                    else if (lk == JsonKind.String && rk == JsonKind.String) order = string.CompareOrdinal(left!.GetValue<string>(), right!.GetValue<string>());
                    else
                    {
                        throw Fail($"'{Symbol(node.Operator)}' orders two numbers or two strings, but {Describe(node.Left)} is {Show(left)} and {Describe(node.Right)} is {Show(right)}");
                    }
                    return node.Operator switch
                    {
                        ConditionOperator.Less => order < 0,
                        ConditionOperator.LessOrEqual => order <= 0,
                        ConditionOperator.Greater => order > 0,
                        _ => order >= 0,
                    };
            }
        }

        private bool Contains(CompareNode node, JsonNode? left, JsonNode? right, JsonKind lk, JsonKind rk)
        {
            switch (lk)
            {
                case JsonKind.String when rk == JsonKind.String:
                    return left!.GetValue<string>().Contains(right!.GetValue<string>(), StringComparison.Ordinal);
                case JsonKind.Array:
                    foreach (var item in left!.AsArray())
                    {
                        if (JsonEquals(item, right)) return true;
                    }
                    return false;
                case JsonKind.Object when rk == JsonKind.String:
                    return left!.AsObject().ContainsKey(right!.GetValue<string>());
                default:
                    throw Fail($"'contains' looks for text in a string, an item in a list or a key in an object, but {Describe(node.Left)} is {Show(left)} and {Describe(node.Right)} is {Show(right)}");
            }
        }

        private static string Describe(ConditionNode node) => node switch
        {
            ReferenceNode r => r.Reference.ToString(),
            LiteralNode l => l.Text,
            _ => "the left side",
        };

        public GleitzeitException Fail(string message) =>
            new(GleitzeitErrorCode.TaskConditionError, $"{what} '{Shorten(expression.Source)}': {message}");
    }

    internal enum JsonKind
    {
        Null,
        Bool,
        Number,
        String,
        Array,
        Object,
    }

    internal static JsonKind Kind(JsonNode? value) => value switch
    {
        null => JsonKind.Null,
        JsonObject => JsonKind.Object,
        JsonArray => JsonKind.Array,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => JsonKind.String,
            JsonValueKind.Number => JsonKind.Number,
            JsonValueKind.True or JsonValueKind.False => JsonKind.Bool,
            _ => JsonKind.Null,
        },
        _ => JsonKind.Null,
    };

    private static bool IsBool(JsonNode? value, out bool result)
    {
        result = false;
        if (Kind(value) != JsonKind.Bool) return false;
        result = value!.GetValueKind() == JsonValueKind.True;
        return true;
    }

    // Through the JSON text: a node made from a CLR int does not convert through TryGetValue<double>.
    private static double Number(JsonNode value) => double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Deep equality of JSON values; numbers by value (3 equals 3.0), object keys in any order.</summary>
    internal static bool JsonEquals(JsonNode? a, JsonNode? b)
    {
        var ka = Kind(a);
        if (ka != Kind(b)) return false;
        switch (ka)
        {
            case JsonKind.Null:
                return true;
            case JsonKind.Bool:
                return a!.GetValueKind() == b!.GetValueKind();
            case JsonKind.Number:
                return Number(a!) == Number(b!);
            case JsonKind.String:
                return string.Equals(a!.GetValue<string>(), b!.GetValue<string>(), StringComparison.Ordinal);
            case JsonKind.Array:
                var x = a!.AsArray();
                var y = b!.AsArray();
                if (x.Count != y.Count) return false;
                for (var i = 0; i < x.Count; i++)
                {
                    if (!JsonEquals(x[i], y[i])) return false;
                }
                return true;
            default:
                var o = a!.AsObject();
                var p = b!.AsObject();
                if (o.Count != p.Count) return false;
                foreach (var (key, value) in o)
                {
                    if (!p.TryGetPropertyValue(key, out var other) || !JsonEquals(value, other)) return false;
                }
                return true;
        }
    }

    /// <summary>A value as a message shows it: its type and its JSON, shortened.</summary>
    internal static string Show(JsonNode? value)
    {
        var type = Kind(value) switch
        {
            JsonKind.Null => "null",
            JsonKind.Bool => "boolean",
            JsonKind.Number => "number",
            JsonKind.String => "string",
            JsonKind.Array => "list",
            _ => "object",
        };
        if (value is null) return "null";
        return $"{type} {Shorten(value.ToJsonString(CompactJson))}";
    }

    private static readonly JsonSerializerOptions CompactJson = new() { WriteIndented = false };

    private static string Shorten(string text) => text.Length > ShownValueLength ? text[..ShownValueLength] + "…" : text;

    private static string Symbol(ConditionOperator op) => op switch
    {
        ConditionOperator.Equal => "==",
        ConditionOperator.NotEqual => "!=",
        ConditionOperator.Less => "<",
        ConditionOperator.LessOrEqual => "<=",
        ConditionOperator.Greater => ">",
        ConditionOperator.GreaterOrEqual => ">=",
        _ => "contains",
    };
}
