using System.Text.Json.Nodes;
using Gleitzeit.Core.Conditions;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Tests.Conditions;

/// <summary>The condition language of <c>when</c> and <c>until</c>: every operator, precedence, types, hostile values.</summary>
public class ConditionEvaluatorTests
{
    private static readonly JsonObject Data = new()
    {
        ["n"] = 3,
        ["half"] = 0.5,
        ["text"] = "hello world",
        ["empty"] = "",
        ["yes"] = true,
        ["no"] = false,
        ["nothing"] = null,
        ["tags"] = new JsonArray("a", "b", 3),
        ["obj"] = new JsonObject { ["k"] = 1, ["inner"] = new JsonObject { ["x"] = "y" } },
        ["hostile"] = "\" || true || \"",
        ["code"] = "${a.n} == 3",
    };

    private static bool Eval(string expression)
    {
        var parsed = ConditionExpression.Parse(expression);
        return ConditionEvaluator.Evaluate(parsed, Lookup, "when");
    }

    private static JsonNode? Lookup(Reference reference)
    {
        if (reference.Root != "a") throw new GleitzeitException(GleitzeitErrorCode.TaskDependencyFailed, $"{reference}: task '{reference.Root}' has no result");
        return ReferenceResolver.Navigate(Data, reference.Path, "a")?.DeepClone();
    }

    private static GleitzeitException Fails(string expression) =>
        Assert.Throws<GleitzeitException>(() => Eval(expression))!;

    [TestCase("${a.n} == 3", true)]
    [TestCase("${a.n} == 3.0", true)]
    [TestCase("${a.n} == 4", false)]
    [TestCase("${a.n} != 4", true)]
    [TestCase("${a.n} != 3", false)]
    [TestCase("${a.n} < 4", true)]
    [TestCase("${a.n} < 3", false)]
    [TestCase("${a.n} <= 3", true)]
    [TestCase("${a.n} > 2.5", true)]
    [TestCase("${a.n} > 3", false)]
    [TestCase("${a.n} >= 3", true)]
    [TestCase("${a.half} < 1e0", true)]
    [TestCase("-1 < ${a.half}", true)]
    [TestCase("${a.half} == .5", true)]
    [TestCase("${a.text} == \"hello world\"", true)]
    [TestCase("${a.text} == 'hello world'", true)]
    [TestCase("${a.text} < \"i\"", true)]
    [TestCase("\"B\" < \"a\"", true)]
    [TestCase("${a.yes} == true", true)]
    [TestCase("${a.no} == false", true)]
    [TestCase("${a.yes}", true)]
    [TestCase("!${a.no}", true)]
    [TestCase("!!${a.yes}", true)]
    [TestCase("${a.nothing} == null", true)]
    [TestCase("${a.n} != null", true)]
    [TestCase("null == null", true)]
    [TestCase("${a.text} contains \"world\"", true)]
    [TestCase("${a.text} contains \"World\"", false)]
    [TestCase("${a.tags} contains \"b\"", true)]
    [TestCase("${a.tags} contains 3", true)]
    [TestCase("${a.tags} contains \"c\"", false)]
    [TestCase("${a.obj} contains \"k\"", true)]
    [TestCase("${a.obj} contains \"z\"", false)]
    [TestCase("${a.obj.inner} == ${a.obj.inner}", true)]
    [TestCase("${a.tags} == ${a.tags}", true)]
    [TestCase("${a.empty} == \"\"", true)]
    public void Operators(string expression, bool expected) => Assert.That(Eval(expression), Is.EqualTo(expected));

    [TestCase("true || false && false", true)] // && binds tighter than ||
    [TestCase("(true || false) && false", false)]
    [TestCase("!true || true", true)] // ! binds tightest
    [TestCase("!(true || true)", false)]
    [TestCase("!${a.n} == 3 || true", true)]
    [TestCase("${a.n} > 1 && ${a.n} < 5", true)]
    [TestCase("${a.n} > 1 && ${a.n} < 3 || ${a.text} contains 'hello'", true)]
    [TestCase("((((${a.yes}))))", true)]
    public void Precedence(string expression, bool expected)
    {
        if (expression.StartsWith("!${a.n}", StringComparison.Ordinal))
        {
            // '!' applies to ${a.n} (a number) before == : a type error, not (3 == 3) negated.
            Assert.That(Fails(expression).Message, Does.Contain("'!' needs true or false"));
            return;
        }
        Assert.That(Eval(expression), Is.EqualTo(expected));
    }

    [Test]
    public void And_and_or_short_circuit_so_the_right_side_is_not_evaluated()
    {
        Assert.That(Eval("false && ${a.missing} == 1"), Is.False);
        Assert.That(Eval("true || ${a.missing} == 1"), Is.True);
    }

    [TestCase("${a.n} == \"3\"", "'==' compares values of one type", "number 3", "string \"3\"")]
    [TestCase("${a.n} < \"4\"", "'<' orders two numbers or two strings", "number 3", "string \"4\"")]
    [TestCase("${a.nothing} < 3", "'<' orders", "is null", "")]
    [TestCase("${a.tags} > 1", "'>' orders", "list [", "")]
    [TestCase("${a.n} && true", "'&&' needs true or false", "number 3", "")]
    [TestCase("${a.text} || true", "'||' needs true or false", "string \"hello world\"", "")]
    [TestCase("!${a.text}", "'!' needs true or false", "string \"hello world\"", "")]
    [TestCase("${a.n} contains 3", "'contains' looks for", "number 3", "")]
    [TestCase("${a.obj} contains 1", "'contains' looks for", "number 1", "")]
    [TestCase("${a.n}", "the condition gives number 3, not true or false", "", "")]
    public void Type_errors_name_the_expression_and_the_values(string expression, string what, string value1, string value2)
    {
        var ex = Fails(expression);
        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionError));
        Assert.That(ex.Message, Does.StartWith($"when '{expression}':"));
        Assert.That(ex.Message, Does.Contain(what));
        Assert.That(ex.Message, Does.Contain(value1));
        Assert.That(ex.Message, Does.Contain(value2));
    }

    [Test]
    public void A_missing_field_fails_naming_the_expression_and_what_the_value_has()
    {
        var ex = Fails("${a.obj.nope} == 1");
        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionError));
        Assert.That(ex.Message, Does.Contain("when '${a.obj.nope} == 1'"));
        Assert.That(ex.Message, Does.Contain("has no field 'nope'"));
        Assert.That(ex.Message, Does.Contain("it has: k, inner"));
    }

    [Test]
    public void Long_values_are_shortened_in_messages()
    {
        var big = new string('x', 10_000);
        var ex = Assert.Throws<GleitzeitException>(() => ConditionEvaluator.Evaluate(ConditionExpression.Parse("${b.v} > 1"), _ => JsonValue.Create(big), "when"))!;
        Assert.That(ex.Message.Length, Is.LessThan(400));
        Assert.That(ex.Message, Does.Contain("…"));
    }

    [TestCase("\" || true || \"")]
    [TestCase("${a.n} == 3")]
    [TestCase("') || true || ('")]
    [TestCase("__import__('os').system('rm -rf /')")]
    [TestCase("System.IO.File.Delete(\"x\")")]
    public void Values_are_data_never_parsed_as_expressions(string hostile)
    {
        JsonNode? Value(Reference _) => JsonValue.Create(hostile);
        Assert.That(ConditionEvaluator.Evaluate(ConditionExpression.Parse("${h.v} == \"safe\""), Value, "when"), Is.False);
        Assert.That(ConditionEvaluator.Evaluate(ConditionExpression.Parse("${h.v} contains \"||\" || true"), Value, "when"), Is.True);
        Assert.That(ConditionEvaluator.Evaluate(ConditionExpression.Parse("${h.v} != null"), Value, "when"), Is.True);
    }

    [Test]
    public void A_reference_inside_a_value_stays_text()
    {
        // ${a.code} holds the text "${a.n} == 3": it is compared as a string, not evaluated.
        Assert.That(Eval("${a.code} == \"${a.n} == 3\""), Is.True);
        Assert.That(Fails("${a.code}").Message, Does.Contain("not true or false"));
    }

    [TestCase("'it\\'s' == \"it's\"", true)]
    [TestCase("\"a\\\"b\" contains '\"'", true)]
    [TestCase("\"tab\\there\" contains '\\t'", true)]
    [TestCase("'\\\\' == \"\\\\\"", true)]
    public void String_escapes(string expression, bool expected) => Assert.That(Eval(expression), Is.EqualTo(expected));
}
