namespace Gleitzeit.Dashboard.Api;

/// <summary>What a run or task id in a URL may be: not empty, not huge, no control characters.</summary>
internal static class RunIds
{
    public const int MaxLength = 256;

    public static string? Problem(string what, string id)
    {
        if (string.IsNullOrWhiteSpace(id)) return $"The {what} is empty.";
        if (id.Length > MaxLength) return $"The {what} is longer than {MaxLength} characters.";
        if (id.Any(char.IsControl)) return $"The {what} contains control characters.";
        return null;
    }
}
