using Gleitzeit.Persistence.Redis;

namespace Gleitzeit.Benchmarks;

/// <summary>The Redis store under the in-process engine, against a private redis-server on a free port (no persistence).</summary>
internal static class RedisRuns
{
    public static async Task MeasureAsync(Report report, Dag dag, int runs)
    {
        var (server, missing) = await RedisServer.StartAsync();
        if (server is null)
        {
            report.Note("Redis: skipped — " + missing);
            return;
        }
        await using var _ = server;
        var s = await GleitzeitRuns.MeasureAsync(dag, 1, runs, () => new RedisWorkflowStore(new RedisStoreOptions { Configuration = server.Configuration }));
        report.Add("4 stores", $"Redis store chain {dag.Count:N0} (in-process engine)", s);
    }
}
