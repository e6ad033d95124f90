using Microsoft.Extensions.Options;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// Checks <see cref="RedisStoreOptions"/>, listing every problem at once: run by the container on start
/// (<c>ValidateOnStart</c>) and by the constructors that take the options (<see cref="RedisWorkflowStore"/>).
/// </summary>
internal sealed class RedisStoreOptionsValidator : IValidateOptions<RedisStoreOptions>
{
    public static readonly RedisStoreOptionsValidator Instance = new();

    public static IEnumerable<string> Problems(RedisStoreOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            yield return "RedisStoreOptions.Configuration must name a server, e.g. \"localhost:6379\" or \"redis://localhost:6379/0\".";
        }
        if (options.KeyPrefix is null) yield return "RedisStoreOptions.KeyPrefix must not be null (use \"\" for no prefix).";
        if (options.ConnectTimeout <= TimeSpan.Zero) yield return $"RedisStoreOptions.ConnectTimeout must be positive (got {options.ConnectTimeout}).";
    }

    public ValidateOptionsResult Validate(string? name, RedisStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = Problems(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Throws one <see cref="ArgumentException"/> listing every problem, if there is any.</summary>
    public static void ThrowIfInvalid(RedisStoreOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(options, paramName);
        var problems = Problems(options).ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems), paramName);
    }
}
