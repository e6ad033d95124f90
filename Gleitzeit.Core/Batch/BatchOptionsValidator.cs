namespace Gleitzeit.Core.Batch;

/// <summary>Checks <see cref="BatchOptions"/>; see <see cref="OptionsValidator{TOptions}"/>.</summary>
internal sealed class BatchOptionsValidator : OptionsValidator<BatchOptions>
{
    public static readonly BatchOptionsValidator Instance = new();

    public override IEnumerable<string> Problems(BatchOptions options)
    {
        if (options.MaxFileSize < 1) yield return $"BatchOptions.MaxFileSize must be at least 1 (got {options.MaxFileSize}).";
        if (options.MaxConcurrent < 1) yield return $"BatchOptions.MaxConcurrent must be at least 1 (got {options.MaxConcurrent}).";
        if (options.ResultsDirectory is { } dir && string.IsNullOrWhiteSpace(dir))
        {
            yield return "BatchOptions.ResultsDirectory must name a folder (or be null to save no results).";
        }
    }
}
