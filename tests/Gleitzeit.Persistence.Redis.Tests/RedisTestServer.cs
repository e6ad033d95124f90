using Gleitzeit.Persistence.Redis;
using Gleitzeit.Testing.Redis;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>One Redis for every test of this assembly (GLEITZEIT_TEST_REDIS, or a redis-server started here).</summary>
[SetUpFixture]
public sealed class RedisTestServer
{
    private static RedisServerFixture? _server;

    public static RedisServerFixture Server => _server ?? throw new InvalidOperationException("The Redis test server is not running.");

    /// <summary>Options for a store of the shared server with a key prefix of its own.</summary>
    public static RedisStoreOptions NewOptions(string? name = null) => new()
    {
        Configuration = Server.Endpoint,
        KeyPrefix = RedisServerFixture.NewKeyPrefix(name),
    };

    [OneTimeSetUp]
    public async Task StartAsync() => _server = await RedisServerFixture.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
