namespace Gleitzeit.Core;

/// <summary>Named priority levels of the original format; any integer is allowed, larger runs first.</summary>
public static class TaskPriority
{
    public const int Low = 0;
    public const int Normal = 10;
    public const int High = 20;
    public const int Urgent = 30;

    /// <summary>Parses <c>low|normal|high|urgent</c> (any case) or an integer.</summary>
    public static bool TryParse(string? text, out int priority)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "low": priority = Low; return true;
            case "normal" or "medium": priority = Normal; return true;
            case "high": priority = High; return true;
            case "urgent" or "critical": priority = Urgent; return true;
        }
        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out priority);
    }
}
