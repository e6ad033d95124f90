namespace Gleitzeit.Core;

/// <summary>Named priority levels of the original format; any integer is allowed, larger runs first.</summary>
public static class TaskPriority
{
    /// <summary>Runs after every higher-priority ready task.</summary>
    public const int Low = 0;
    /// <summary>The default priority.</summary>
    public const int Normal = 10;
    /// <summary>Runs before normal and low-priority ready tasks.</summary>
    public const int High = 20;
    /// <summary>Runs before every other ready task.</summary>
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
