namespace Gleitzeit.Core.Protocol;

/// <summary>A protocol: name and version (together the id <c>llm/v1</c>) and the methods it serves.</summary>
public sealed record ProtocolDescriptor(string Name, string Version, IReadOnlyList<MethodDescriptor> Methods, string? Description = null)
{
    /// <c>name/version</c>, e.g. <c>llm/v1</c>: what tasks name in <c>protocol</c>.
    public string Id => $"{Name}/{Version}";

    /// <summary>Whether <paramref name="id"/> is this protocol's <see cref="Id"/>, without making the id (every task's
    /// provider is looked up by it at validation and again at run start).</summary>
    internal bool HasId(string id) =>
        id.Length == Name.Length + 1 + Version.Length && id.StartsWith(Name, StringComparison.Ordinal) && id[Name.Length] == '/'
        && id.EndsWith(Version, StringComparison.Ordinal);

    /// <summary>The method with that name: an exact match first, then a wildcard such as <c>tool.*</c>.</summary>
    public MethodDescriptor? FindMethod(string method)
    {
        MethodDescriptor? wildcard = null;
        for (var i = 0; i < Methods.Count; i++)
        {
            var m = Methods[i];
            if (string.Equals(m.Name, method, StringComparison.Ordinal)) return m;
            if (wildcard is null && m.IsWildcard && method.StartsWith(m.Name.AsSpan(0, m.Name.Length - 1), StringComparison.Ordinal) && method.Length > m.Name.Length - 1)
            {
                wildcard = m;
            }
        }
        return wildcard;
    }
}
