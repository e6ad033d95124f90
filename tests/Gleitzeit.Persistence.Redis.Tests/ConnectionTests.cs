using Gleitzeit.Core;
using Gleitzeit.Testing.Redis;

namespace Gleitzeit.Persistence.Redis.Tests;

public sealed class ConnectionTests
{
    [TestCase("redis://localhost:6379/0", "localhost:6379", null, 0, false)]
    [TestCase("redis://10.0.0.5", "10.0.0.5:6379", null, null, false)]
    [TestCase("redis://:s3cret@cache.local:6380/2", "cache.local:6380", "s3cret", 2, false)]
    [TestCase("rediss://user:p%40ss@cache.local:6380/1", "cache.local:6380", "p@ss", 1, true)]
    public void Redis_urls_become_configuration(string url, string endpoint, string? password, int? db, bool ssl)
    {
        var options = RedisConnection.ParseConfiguration(url);

        Assert.That(options.EndPoints.Single().ToString(), Does.EndWith(endpoint.Split(':')[1]));
        Assert.That(options.ToString(), Does.Contain(endpoint.Split(':')[0]));
        Assert.That(options.Password, Is.EqualTo(password));
        Assert.That(options.DefaultDatabase, Is.EqualTo(db));
        Assert.That(options.Ssl, Is.EqualTo(ssl));
    }

    [Test]
    public void A_configuration_string_is_taken_as_it_is()
    {
        var options = RedisConnection.ParseConfiguration("127.0.0.1:7000,password=x,defaultDatabase=3");

        Assert.That((options.Password, options.DefaultDatabase), Is.EqualTo(("x", (int?)3)));
    }

    [Test]
    public void A_url_with_a_bad_database_is_refused_clearly()
    {
        var ex = Assert.Throws<GleitzeitException>(() => RedisConnection.ParseConfiguration("redis://localhost:6379/zero"));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.ConfigurationError));
        Assert.That(ex.Message, Does.Contain("database number"));
    }

    [Test]
    public async Task Redis_down_at_start_is_reported_naming_the_endpoint()
    {
        // A server started and stopped again: nothing listens on its port.
        var server = await RedisServerFixture.StartOwnAsync();
        var endpoint = server.Endpoint;
        await server.DisposeAsync();
        await using var store = new RedisWorkflowStore(new RedisStoreOptions { Configuration = endpoint, ConnectTimeout = TimeSpan.FromSeconds(1) });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await store.GetRunAsync("x"));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceConnectionFailed));
        Assert.That(ex.Message, Does.Contain(endpoint));
    }
}
