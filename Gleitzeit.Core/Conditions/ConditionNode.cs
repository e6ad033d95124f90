using System.Text.Json.Nodes;
using Gleitzeit.Core.Substitution;

namespace Gleitzeit.Core.Conditions;

/// <summary>A node of a parsed condition. <see cref="Start"/> is its position (0-based) in the expression text.</summary>
internal abstract record ConditionNode(int Start);

/// <summary>A string, number, boolean or null written in the expression.</summary>
internal sealed record LiteralNode(int Start, JsonNode? Value, string Text) : ConditionNode(Start);

/// <summary>A <c>${...}</c> reference: its value comes from a task's result, an input, or a loop's state.</summary>
internal sealed record ReferenceNode(int Start, Reference Reference) : ConditionNode(Start);

/// <summary><c>!operand</c>.</summary>
internal sealed record NotNode(int Start, ConditionNode Operand) : ConditionNode(Start);

/// <summary><c>left &amp;&amp; right</c> or <c>left || right</c>, evaluated left to right with short-circuit.</summary>
internal sealed record LogicalNode(int Start, bool IsAnd, ConditionNode Left, ConditionNode Right) : ConditionNode(Start);

/// <summary><c>left OP right</c> for <c>== != &lt; &lt;= &gt; &gt;= contains</c>.</summary>
internal sealed record CompareNode(int Start, ConditionOperator Operator, ConditionNode Left, ConditionNode Right) : ConditionNode(Start);

/// <summary>The comparison operators.</summary>
internal enum ConditionOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Contains,
}
