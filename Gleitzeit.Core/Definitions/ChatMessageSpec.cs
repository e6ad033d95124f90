namespace Gleitzeit.Core.Definitions;

/// <summary>One chat message for <see cref="WorkflowBuilder.Chat"/>: role (<c>system</c>, <c>user</c>, <c>assistant</c>) and text.</summary>
public sealed record ChatMessageSpec(string Role, string Content)
{
    /// <summary>A message with role <c>system</c> (instructions for the model).</summary>
    public static ChatMessageSpec System(string content) => new("system", content);

    /// <summary>A message with role <c>user</c>.</summary>
    public static ChatMessageSpec User(string content) => new("user", content);

    /// <summary>A message with role <c>assistant</c> (an earlier model answer, for few-shot prompts).</summary>
    public static ChatMessageSpec Assistant(string content) => new("assistant", content);
}
