namespace Gleitzeit.Core.Definitions;

/// <summary>One chat message for <see cref="WorkflowBuilder.Chat"/>: role (<c>system</c>, <c>user</c>, <c>assistant</c>) and text.</summary>
public sealed record ChatMessageSpec(string Role, string Content)
{
    public static ChatMessageSpec System(string content) => new("system", content);

    public static ChatMessageSpec User(string content) => new("user", content);

    public static ChatMessageSpec Assistant(string content) => new("assistant", content);
}
