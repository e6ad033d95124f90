namespace Gleitzeit.Core;

/// <summary>Checks <see cref="GleitzeitOptions"/>; see <see cref="OptionsValidator{TOptions}"/>.</summary>
internal sealed class GleitzeitOptionsValidator : OptionsValidator<GleitzeitOptions>
{
    public static readonly GleitzeitOptionsValidator Instance = new();

    public override IEnumerable<string> Problems(GleitzeitOptions options)
    {
        if (options.MaxConcurrency < 1) yield return $"GleitzeitOptions.MaxConcurrency must be at least 1 (got {options.MaxConcurrency}).";
        if (options.DefaultTaskTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            yield return $"GleitzeitOptions.DefaultTaskTimeout must be positive (or null for no limit), got {timeout}.";
        }
        if (options.DefaultRetry is not { MaxAttempts: >= 1, BackoffFactor: >= 1 })
        {
            yield return "GleitzeitOptions.DefaultRetry needs MaxAttempts >= 1 and BackoffFactor >= 1.";
        }
        if (options.RunLeaseDuration < TimeSpan.FromSeconds(1)) yield return $"GleitzeitOptions.RunLeaseDuration must be at least 1 second (got {options.RunLeaseDuration}).";
        if (options.MaxWorkflowFileBytes < 1) yield return $"GleitzeitOptions.MaxWorkflowFileBytes must be at least 1 (got {options.MaxWorkflowFileBytes}).";
    }
}
