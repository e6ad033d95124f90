using Gleitzeit.Persistence.Sqlite;

namespace Gleitzeit.Benchmarks;

/// <summary>The durable store under the in-process engine: one fresh SQLite file per run, in a temporary folder.</summary>
internal static class SqliteRuns
{
    /// <summary>Measures <paramref name="dag"/> on SQLite with the given synchronous mode (Normal is the default).</summary>
    public static async Task<Sample> MeasureAsync(Dag dag, int warmups, int runs, SqliteSynchronousMode synchronous = SqliteSynchronousMode.Normal)
    {
        var dir = Directory.CreateTempSubdirectory("gleitzeit-bench-");
        try
        {
            var i = 0;
            return await GleitzeitRuns.MeasureAsync(dag, warmups, runs,
                () => new SqliteWorkflowStore(new SqliteStoreOptions { DatabasePath = Path.Combine(dir.FullName, $"b{i++}.db"), Synchronous = synchronous }));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary><c>--only sqlite</c>: the 10,000-task chain with the default settings and with <c>Synchronous = Full</c>, and the random DAG.</summary>
    public static async Task SectionAsync(Report report, bool quick, int n)
    {
        var dag = Dag.Chain(n);
        var runs = quick ? 3 : 5;
        var normal = await MeasureAsync(dag, 1, runs);
        report.Add("4 sqlite", $"SQLite chain {n:N0} (synchronous=NORMAL, default)", normal);
        report.Target("SQLite chain >= 10,000 tasks/s", normal.UnitsPerSecond >= 10_000, $"{normal.UnitsPerSecond:N0}/s");
        var full = await MeasureAsync(dag, 1, runs, SqliteSynchronousMode.Full);
        report.Add("4 sqlite", $"SQLite chain {n:N0} (synchronous=FULL)", full);
        report.Note($"SQLite chain FULL/NORMAL: {full.Median / normal.Median:N2}x the time");
        var random = Dag.Random(n);
        report.Add("4 sqlite", $"SQLite random DAG {n:N0} (synchronous=NORMAL)", await MeasureAsync(random, 1, runs));
        report.Add("4 sqlite", $"SQLite random DAG {n:N0} (synchronous=FULL)", await MeasureAsync(random, 1, runs, SqliteSynchronousMode.Full));
    }
}
