using Gleitzeit.Core.Conditions;

namespace Gleitzeit.Core.Tests.Conditions;

/// <summary>Expressions that do not parse are refused with what is wrong and the column inside the expression.</summary>
public class ConditionParserTests
{
    private static ConditionSyntaxException Refused(string text) => Assert.Throws<ConditionSyntaxException>(() => ConditionExpression.Parse(text))!;

    [TestCase("", 0, "empty")]
    [TestCase("   ", 0, "empty")]
    [TestCase("${a.x} >", 8, "ends where a value was expected")]
    [TestCase("${a.x} = 3", 7, "compare with ==")]
    [TestCase("${a.x} == 3 & true", 12, "'&' (write && for and)")]
    [TestCase("${a.x} == 3 | true", 12, "'|' (write || for or)")]
    [TestCase("(${a.x} == 3", 12, "'(' at column 1 is not closed")]
    [TestCase("${a.x} == 3)", 11, "unexpected ')'")]
    [TestCase(")", 0, "')' without a matching '('")]
    [TestCase("${a.x} == 'open", 10, "string starting at column 11 is not closed")]
    [TestCase("${a.x == 3", 0, "not closed")]
    [TestCase("${} == 3", 0, "empty reference")]
    [TestCase("${a.x[z]} == 3", 0, "index")]
    [TestCase("${a.x} == yes", 10, "unknown word 'yes'")]
    [TestCase("${a.x} == True", 10, "unknown word 'True'")]
    [TestCase("1 < 2 < 3", 6, "comparisons do not chain")]
    [TestCase("${a.x} == 1e", 11, "exponent needs digits")]
    [TestCase("${a.x} == 12abc", 12, "followed by a letter")]
    [TestCase("contains 'x'", 0, "'contains' needs a value on its left")]
    [TestCase("'a\\q' == 'b'", 2, "unknown escape")]
    [TestCase("${a.x} == 3 ${b.y}", 12, "after a complete condition")]
    [TestCase("${a.x}.length > 3", 6, "after a complete condition")]
    [TestCase("Math.Max(1, 2) > 1", 0, "unknown word 'Math'")]
    public void Refused_with_the_column(string text, int position, string message)
    {
        var ex = Refused(text);
        Assert.That(ex.Position, Is.EqualTo(position));
        Assert.That(ex.Message, Does.Contain(message));
        Assert.That(ex.Message, Does.Contain($"at column {position + 1} of the expression"));
    }

    [Test]
    public void Deep_nesting_is_refused_not_a_stack_overflow()
    {
        var ex = Refused(new string('(', 1_000) + "true" + new string(')', 1_000));
        Assert.That(ex.Message, Does.Contain("nests deeper than 64"));
        Assert.That(Refused(new string('!', 4_000) + "true").Message, Does.Contain("nests deeper"));
    }

    [Test]
    public void Overlong_expressions_are_refused() =>
        Assert.That(Refused("true || " + string.Concat(Enumerable.Repeat("true || ", 1000)) + "true").Message, Does.Contain("over the limit"));

    [Test]
    public void References_are_listed_in_order_with_their_columns()
    {
        var parsed = ConditionExpression.Parse("${a.x} > 1 && (${b.y[0].z} contains 'q' || !${inputs.flag})");
        Assert.That(parsed.References.Select(r => r.Reference.Root), Is.EqualTo(new[] { "a", "b", "inputs" }));
        Assert.That(parsed.References.Select(r => r.Start), Is.EqualTo(new[] { 0, 15, 44 }));
    }

    [Test]
    public void Contains_is_an_operator_only_as_a_whole_word()
    {
        Assert.That(Refused("${a.x} containsx 'y'").Message, Does.Contain("after a complete condition"));
        Assert.That(ConditionExpression.Parse("${a.x} contains 'y'").Root, Is.TypeOf<CompareNode>());
    }
}
