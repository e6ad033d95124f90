using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Testing.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gleitzeit.Persistence.Redis.Tests;

[NonParallelizable]
public sealed class ResilienceTests
{
    [Test]
    public async Task Redis_lost_mid_run_is_waited_out_and_no_task_is_recorded_twice_or_wrongly()
    {
        await using var server = await RedisServerFixture.StartOwnAsync(durable: true);
        await using var h = new Harness(new RedisStoreOptions { Configuration = server.Endpoint, KeyPrefix = RedisServerFixture.NewKeyPrefix("outage") });
        h.StartWorker(concurrency: 3);
        var (workflow, expected) = WorkerProcessTests.Layered(layers: 4, width: 5, sleepMs: 300);
        var id = await h.Queue.SubmitAsync(workflow);
        while (h.Executions.Count < 3) await Task.Delay(10);

        await server.StopServerAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // an outage, not a measurement
        await server.StartServerAsync();
        var run = await h.WaitAsync(id);
        var completions = await h.CompletionsAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(expected.Keys.Select(k => (long?)run.GetResult(k)!["n"]), Is.EqualTo(expected.Values.Select(v => (long?)v)));
        Assert.That(completions.Keys, Is.EquivalentTo(expected.Keys));
        Assert.That(completions.Values, Is.All.EqualTo(1));
    }

    [Test]
    public async Task A_worker_started_while_redis_is_down_reports_the_endpoint()
    {
        var server = await RedisServerFixture.StartOwnAsync();
        var endpoint = server.Endpoint;
        await server.DisposeAsync();
        await using var store = new RedisWorkflowStore(new RedisStoreOptions { Configuration = endpoint, ConnectTimeout = TimeSpan.FromSeconds(1) });
        var worker = new GleitzeitWorker(store, new Gleitzeit.Core.Protocol.ProviderRegistry());

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await worker.RunAsync(1));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceConnectionFailed));
        Assert.That(ex.Message, Does.Contain(endpoint).And.Contain("redis-server"));
    }

    [Test]
    public async Task A_generic_host_runs_the_worker_and_the_queue_from_registration()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("host");
        var executed = 0;
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddGleitzeit()
            .AddProvider(new TestProvider(_ => Interlocked.Increment(ref executed)))
            .AddRedis(o =>
            {
                o.Configuration = $"redis://{RedisTestServer.Server.Endpoint}/0";
                o.KeyPrefix = prefix;
            })
            .AddGleitzeitWorker(o =>
            {
                o.Concurrency = 2;
                o.PollInterval = TimeSpan.FromMilliseconds(200);
            });
        using var host = builder.Build();
        await host.StartAsync();
        var queue = host.Services.GetRequiredService<RedisWorkflowQueue>();
        var (workflow, _) = WorkerProcessTests.Layered(layers: 3, width: 3, sleepMs: 0);

        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var run = await queue.WaitAsync(await queue.SubmitAsync(workflow), limit.Token);
        await host.StopAsync();

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(executed, Is.EqualTo(9));
        Assert.That(host.Services.GetRequiredService<IWorkflowStore>(), Is.SameAs(queue.Store));
    }
}
