namespace Gleitzeit.Core.Human;

/// <summary>What a <see cref="HumanAnswer"/> does.</summary>
public enum HumanAnswerKind
{
    /// <summary>Approves a <c>human/approval</c> task.</summary>
    Approve,

    /// <summary>Rejects a <c>human/approval</c> task.</summary>
    Reject,

    /// <summary>Gives the value a <c>human/input</c> task asks for.</summary>
    Respond,
}
