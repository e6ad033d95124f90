namespace Gleitzeit.Persistence.Redis;

/// <summary>Where the Redis store and work queue live. Bound by <c>AddRedis(o => ...)</c>.</summary>
public sealed class RedisStoreOptions
{
    /// <summary>
    /// The server: a StackExchange.Redis configuration string (<c>localhost:6379,password=secret,defaultDatabase=1</c>) or a
    /// URL <c>redis://[[user]:password@]host[:port][/db]</c> (<c>rediss://</c> for TLS). Default: <c>localhost:6379</c>.
    /// </summary>
    public string Configuration { get; set; } = "localhost:6379";

    /// <summary>Prefix of every key, so several deployments (or tests) share one server. Default: <c>gleitzeit:</c>.</summary>
    public string KeyPrefix { get; set; } = "gleitzeit:";

    /// <summary>How long connecting may take before the store reports PERSISTENCE_CONNECTION_FAILED. Default: 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
