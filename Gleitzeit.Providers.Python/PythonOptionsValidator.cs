using Microsoft.Extensions.Options;

namespace Gleitzeit.Providers.Python;

/// <summary>Checks <see cref="PythonOptions"/> on start, listing every problem at once (the same checks the <see cref="PythonProvider"/> constructor runs).</summary>
internal sealed class PythonOptionsValidator : IValidateOptions<PythonOptions>
{
    public ValidateOptionsResult Validate(string? name, PythonOptions options)
    {
        var problems = options.Validate().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
