using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// Checks <see cref="GleitzeitWorkerOptions"/>, listing every problem at once: run by the container on start
/// (<c>ValidateOnStart</c>) and by <see cref="OptionsValidator{TOptions}.ThrowIfInvalid"/> for code that takes the options directly.
/// </summary>
internal sealed class GleitzeitWorkerOptionsValidator : OptionsValidator<GleitzeitWorkerOptions>
{
    public static readonly GleitzeitWorkerOptionsValidator Instance = new();

    public override IEnumerable<string> Problems(GleitzeitWorkerOptions options)
    {
        if (options.Concurrency < 1) yield return $"GleitzeitWorkerOptions.Concurrency must be at least 1 (got {options.Concurrency}).";
        if (options.LeaseTime < TimeSpan.FromMilliseconds(100)) yield return $"GleitzeitWorkerOptions.LeaseTime must be at least 100 ms (got {options.LeaseTime}).";
        if (options.PollInterval <= TimeSpan.Zero) yield return $"GleitzeitWorkerOptions.PollInterval must be positive (got {options.PollInterval}).";
        if (options.PerWorkerBoundProviders is null) yield return "GleitzeitWorkerOptions.PerWorkerBoundProviders must not be null (use an empty list to share every provider's bound among workers).";
        if (options.ReportRetryWindow < TimeSpan.Zero) yield return $"GleitzeitWorkerOptions.ReportRetryWindow must not be negative (got {options.ReportRetryWindow}).";
    }
}
