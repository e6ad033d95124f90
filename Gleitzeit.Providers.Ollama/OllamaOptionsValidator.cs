using Microsoft.Extensions.Options;

namespace Gleitzeit.Providers.Ollama;

/// <summary>Checks <see cref="OllamaOptions"/> on start, listing every problem at once (the same checks the <see cref="OllamaProvider"/> constructor runs).</summary>
internal sealed class OllamaOptionsValidator : IValidateOptions<OllamaOptions>
{
    public ValidateOptionsResult Validate(string? name, OllamaOptions options)
    {
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
