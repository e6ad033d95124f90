namespace Gleitzeit.Core.Llm;

/// <summary>Checks <see cref="LlmOptions"/>; see <see cref="OptionsValidator{TOptions}"/>.</summary>
internal sealed class LlmOptionsValidator : OptionsValidator<LlmOptions>
{
    public static readonly LlmOptionsValidator Instance = new();

    public override IEnumerable<string> Problems(LlmOptions options)
    {
        if (options.MaxFileBytes < 1) yield return $"LlmOptions.MaxFileBytes must be at least 1 (got {options.MaxFileBytes}).";
        if (options.MaxImageBytes < 1) yield return $"LlmOptions.MaxImageBytes must be at least 1 (got {options.MaxImageBytes}).";
        if (string.IsNullOrWhiteSpace(options.ServiceName)) yield return "LlmOptions.ServiceName must not be empty.";
        foreach (var problem in options.RateLimit?.Problems("LlmOptions.RateLimit") ?? []) yield return problem + ".";
    }
}
