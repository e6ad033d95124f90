using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// Checks <see cref="RedisStoreOptions"/>, listing every problem at once: run by the container on start
/// (<c>ValidateOnStart</c>) and by the constructors that take the options (<see cref="RedisWorkflowStore"/>).
/// </summary>
internal sealed class RedisStoreOptionsValidator : OptionsValidator<RedisStoreOptions>
{
    public static readonly RedisStoreOptionsValidator Instance = new();

    public override IEnumerable<string> Problems(RedisStoreOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            yield return "RedisStoreOptions.Configuration must name a server, e.g. \"localhost:6379\" or \"redis://localhost:6379/0\".";
        }
        if (options.KeyPrefix is null) yield return "RedisStoreOptions.KeyPrefix must not be null (use \"\" for no prefix).";
        if (options.ConnectTimeout <= TimeSpan.Zero) yield return $"RedisStoreOptions.ConnectTimeout must be positive (got {options.ConnectTimeout}).";
    }
}
