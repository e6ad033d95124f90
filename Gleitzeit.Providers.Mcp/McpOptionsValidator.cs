using Microsoft.Extensions.Options;

namespace Gleitzeit.Providers.Mcp;

/// <summary>Checks <see cref="McpOptions"/> on start, listing every problem at once (the same checks the <see cref="McpProvider"/> constructor runs).</summary>
internal sealed class McpOptionsValidator : IValidateOptions<McpOptions>
{
    public ValidateOptionsResult Validate(string? name, McpOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
