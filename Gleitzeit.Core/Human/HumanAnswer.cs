using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Human;

/// <summary>A person's answer to a waiting task: an approval, a rejection, or an input. Built with
/// <see cref="Approve"/>, <see cref="Reject"/> or <see cref="Respond"/>; given to
/// <see cref="Execution.ExecutionEngine.AnswerAsync"/>.</summary>
public sealed record HumanAnswer
{
    private HumanAnswer(HumanAnswerKind kind, string? comment, JsonNode? input, string? by)
    {
        Kind = kind;
        Comment = comment;
        Input = input;
        By = by;
    }

    /// <summary>Approve, reject or respond.</summary>
    public HumanAnswerKind Kind { get; }

    /// <summary>The comment of an approval or rejection.</summary>
    public string? Comment { get; }

    /// <summary>The value entered for a <c>human/input</c> task.</summary>
    public JsonNode? Input { get; }

    /// <summary>Who answered (free text, recorded in the result's <c>by</c>).</summary>
    public string? By { get; }

    /// <summary>Approves a <c>human/approval</c> task: it completes with <c>approved: true</c>.</summary>
    public static HumanAnswer Approve(string? comment = null, string? by = null) => new(HumanAnswerKind.Approve, comment, null, by);

    /// <summary>Rejects a <c>human/approval</c> task: it completes with <c>approved: false</c> (a downstream <c>when:</c> branches on it).</summary>
    public static HumanAnswer Reject(string? comment = null, string? by = null) => new(HumanAnswerKind.Reject, comment, null, by);

    /// <summary>Answers a <c>human/input</c> task with <paramref name="input"/>, which must match the task's schema.</summary>
    public static HumanAnswer Respond(JsonNode? input, string? by = null) => new(HumanAnswerKind.Respond, null, input?.DeepClone(), by);
}
