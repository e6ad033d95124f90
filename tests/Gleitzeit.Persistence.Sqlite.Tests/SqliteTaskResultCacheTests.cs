using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Cost;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gleitzeit.Persistence.Sqlite.Tests;

/// <summary>The result cache in the SQLite file: shared by stores on the same file, expiring on the clock, stored with the run.</summary>
public sealed class SqliteTaskResultCacheTests
{
    [Test]
    public async Task Two_stores_on_one_file_share_entries_which_expire_on_the_fake_clock()
    {
        using var dir = new TempDirectory();
        var path = dir.File("g.db");
        await using var one = new SqliteWorkflowStore(path);
        await using var two = new SqliteWorkflowStore(path);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var now = clock.GetUtcNow();
        await new SqliteTaskResultCache(one).SetAsync(new TaskCacheEntry
        {
            Key = "k", WorkflowName = "w", TaskId = "t", Method = "llm/chat", Result = new JsonObject { ["response"] = "hi" }, CreatedAt = now, ExpiresAt = now.AddMinutes(10),
        });
        var reader = new SqliteTaskResultCache(two);

        Assert.That((await reader.GetAsync("k", now.AddMinutes(9)))?.Result?["response"]?.GetValue<string>(), Is.EqualTo("hi"));
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.That(await reader.GetAsync("k", clock.GetUtcNow()), Is.Null, "expired at its TTL");
        var stats = await reader.GetStatisticsAsync(null, clock.GetUtcNow());
        Assert.That((stats.Entries, stats.Expired), Is.EqualTo((0L, 1L)));
        Assert.That(await reader.ClearAsync("w"), Is.EqualTo(1));
    }

    [Test]
    public async Task AddSqlite_puts_the_cache_in_the_file_and_the_cached_flag_survives_a_reopen()
    {
        using var dir = new TempDirectory();
        var path = dir.File("g.db");
        var calls = 0;
        WorkflowRun second;
        {
            var services = new ServiceCollection();
            services.AddGleitzeit().AddSqlite(o => o.DatabasePath = path)
                .AddProvider(new DelegateProvider("test/v1", (inv, _) => { Interlocked.Increment(ref calls); return ValueTask.FromResult<JsonNode?>(new JsonObject { ["n"] = 1 }); }, "test/run"));
            await using var provider = services.BuildServiceProvider();
            Assert.That(provider.GetRequiredService<ITaskResultCache>(), Is.InstanceOf<SqliteTaskResultCache>());
            var engine = provider.GetRequiredService<ExecutionEngine>();
            var workflow = WorkflowLoader.Parse("name: c\ntasks:\n  - { id: t, method: test/run, cache: true, params: { x: 1 } }\n", registry: engine.Registry);
            await engine.RunAsync(workflow);
            second = await engine.RunAsync(workflow);
        }
        await using var reopened = new SqliteWorkflowStore(path);
        var stored = await reopened.GetRunAsync(second.WorkflowId);

        Assert.That(calls, Is.EqualTo(1));
        Assert.That(stored!.Tasks["t"].Cached, Is.True);
    }
}
