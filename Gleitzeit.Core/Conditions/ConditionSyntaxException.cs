namespace Gleitzeit.Core.Conditions;

/// <summary>A condition that does not parse: what is wrong, and where in the expression (0-based <see cref="Position"/>).</summary>
internal sealed class ConditionSyntaxException(string message, int position) : FormatException(message)
{
    /// <summary>0-based index into the expression text.</summary>
    public int Position { get; } = position;
}
