using Microsoft.Extensions.Options;

namespace Gleitzeit.Core;

/// <summary>
/// The options convention of every Gleitzeit package: one validator per options class lists every problem at once. The
/// container runs it on start (<c>ValidateOnStart</c>, failing with one <see cref="OptionsValidationException"/> that
/// lists them all); constructors that take the options directly run the same checks through <see cref="ThrowIfInvalid"/>.
/// </summary>
internal abstract class OptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    /// <summary>Every problem of <paramref name="options"/>, each a sentence naming the property and the fix; empty when valid.</summary>
    public abstract IEnumerable<string> Problems(TOptions options);

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = Problems(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Throws one <see cref="ArgumentException"/> listing every problem, if there is any.</summary>
    public void ThrowIfInvalid(TOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(options, paramName);
        var problems = Problems(options).ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems), paramName);
    }
}
