using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gleitzeit.Benchmarks;

/// <summary>
/// LangGraph.js (<c>@langchain/langgraph</c>, npm) on the same DAGs, run by <c>benchmarks/langgraph/bench.mjs</c> under
/// node. The folder has its own package.json and package-lock.json and is installed (<c>npm ci</c>) on first use, apart
/// from the repository's own node packages.
/// </summary>
internal static class LangGraphRuns
{
    /// <summary>The folder with bench.mjs, or null when this is not run from a checkout.</summary>
    public static string? Folder { get; } = FindFolder();

    /// <summary>Installs the folder's packages when they are missing; returns why LangGraph cannot run, or null.</summary>
    public static async Task<string?> EnsureInstalledAsync(bool sqlite)
    {
        if (Folder is null) return "benchmarks/langgraph not found above " + AppContext.BaseDirectory;
        if (!File.Exists(Path.Combine(Folder, "node_modules", "@langchain", "langgraph", "package.json")))
        {
            Console.WriteLine("  langgraph: first run, npm ci in " + Folder + " (compiles better-sqlite3 for the SQLite checkpointer; minutes)");
            var (code, output) = await RunAsync("npm", "ci --no-audit --no-fund", null, TimeSpan.FromMinutes(30));
            if (code != 0) return $"npm ci failed ({code}): {Tail(output)}";
        }
        if (sqlite && !File.Exists(Path.Combine(Folder, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node")))
        {
            return "better-sqlite3 has no compiled binding (npm rebuild better-sqlite3 in benchmarks/langgraph)";
        }
        return null;
    }

    /// <summary>Runs one DAG under LangGraph: warm-ups and timed runs in one node process; the graph is built before each timed invoke.</summary>
    public static async Task<Sample> MeasureAsync(Dag dag, int warmups, int runs, string checkpointer = "none")
    {
        var (sample, failure) = await TryMeasureAsync(dag, warmups, runs, TimeSpan.FromMinutes(20), checkpointer);
        return sample ?? throw new InvalidOperationException(failure);
    }

    /// <summary>As <see cref="MeasureAsync"/>, but a run that fails or outlasts <paramref name="limit"/> (the node process is
    /// killed) gives why instead of a sample.</summary>
    public static async Task<(Sample? Sample, string? Failure)> TryMeasureAsync(Dag dag, int warmups, int runs, TimeSpan limit, string checkpointer = "none")
    {
        var deps = JsonSerializer.Serialize(dag.Deps);
        var (code, output) = await RunAsync("node", $"bench.mjs dag --warmup {warmups} --runs {runs} --checkpointer {checkpointer}", deps, limit);
        if (code != 0) return (null, $"LangGraph {dag.Name} {dag.Count:N0}: node exited {code}: {Tail(output)}");
        return (ToSample(output, dag.Count), null);
    }

    /// <summary><c>--only langgraph</c>: the three shapes at 1,000 and 10,000 nodes against Gleitzeit in the same run, then
    /// the durable rows (LangGraph's <c>SqliteSaver</c> against Gleitzeit on SQLite).</summary>
    public static async Task SectionAsync(Report report, bool quick, int warm, int runs)
    {
        var missing = await EnsureInstalledAsync(sqlite: false);
        if (missing is not null)
        {
            report.Note("LangGraph: skipped — " + missing);
            return;
        }
        // At 10,000 nodes one LangGraph run takes minutes (its cost per node grows with the graph): one timed run, no
        // warm-up, and a run that outlasts the limit (GLEITZEIT_BENCH_LANGGRAPH_LIMIT_MIN, default 15; also the durable
        // rows' limit) is recorded as such.
        var bigLimit = TimeSpan.FromMinutes(double.TryParse(Environment.GetEnvironmentVariable("GLEITZEIT_BENCH_LANGGRAPH_LIMIT_MIN"), System.Globalization.CultureInfo.InvariantCulture, out var m) ? m : 15);
        foreach (var size in quick ? new[] { 1_000 } : new[] { 1_000, 10_000 })
        {
            foreach (var dag in new[] { Dag.Chain(size), Dag.FanOutIn(size), Dag.Random(size) })
            {
                var g = await GleitzeitRuns.MeasureAsync(dag, warm, runs);
                report.Add("7 langgraph", $"Gleitzeit {dag.Name} {size:N0}", g);
                var (lg, failure) = size >= 10_000
                    ? await TryMeasureAsync(dag, 0, 1, bigLimit)
                    : await TryMeasureAsync(dag, quick ? 0 : 1, quick ? 2 : 3, TimeSpan.FromMinutes(20));
                if (lg is null)
                {
                    report.Note(failure!);
                    continue;
                }
                report.Add("7 langgraph", $"LangGraph.js {dag.Name} {size:N0}", lg);
                report.Note($"LangGraph.js/Gleitzeit {dag.Name} {size:N0}: {lg.Median / g.Median:N1}x (per node {lg.MicrosPerUnit:N1} µs against {g.MicrosPerUnit:N1} µs)");
            }
        }
        var sqliteMissing = await EnsureInstalledAsync(sqlite: true);
        if (sqliteMissing is not null)
        {
            report.Note("LangGraph SQLite checkpointer: skipped — " + sqliteMissing);
            return;
        }
        var durableN = quick ? 200 : 1_000;
        foreach (var dag in new[] { Dag.Chain(durableN), Dag.FanOutIn(durableN), Dag.Random(durableN) })
        {
            var g = await SqliteRuns.MeasureAsync(dag, 1, 3);
            report.Add("7 langgraph", $"Gleitzeit on SQLite {dag.Name} {durableN:N0}", g);
            var (lg, failure) = await TryMeasureAsync(dag, 1, 3, bigLimit, "sqlite");
            if (lg is null)
            {
                report.Note(failure!);
                continue;
            }
            report.Add("7 langgraph", $"LangGraph.js + SqliteSaver {dag.Name} {durableN:N0}", lg);
            report.Note($"LangGraph.js SqliteSaver/Gleitzeit SQLite {dag.Name} {durableN:N0}: {lg.Median / g.Median:N1}x");
        }
    }

    /// <summary>The slow-sibling graph: seconds from start until the fast branch's tenth step ended, per run.</summary>
    public static async Task<(Sample FastBranch, double[] Total)> SlowSiblingAsync(int warmups, int runs)
    {
        var (code, output) = await RunAsync("node", $"bench.mjs slow-sibling --warmup {warmups} --runs {runs}", null, TimeSpan.FromMinutes(5));
        if (code != 0) throw new InvalidOperationException($"LangGraph slow-sibling: node exited {code}: {Tail(output)}");
        var json = LastJson(output);
        return (ToSample(output, 1), json["total"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray());
    }

    private static Sample ToSample(string output, long units)
    {
        var json = LastJson(output);
        var seconds = json["seconds"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        var rss = json["peakRss"]?.GetValue<double>() ?? 0;
        var cpu = json["cpu"]?.AsArray().Select(x => x!.GetValue<double>()).DefaultIfEmpty(0).Average() ?? 0;
        // Allocation is not comparable across runtimes: left at 0 (the node process's peak RSS is the working set column).
        return new Sample(seconds, units, 0, (long)rss, CpuSecondsPerRun: cpu);
    }

    private static JsonNode LastJson(string output) =>
        JsonNode.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.TrimStart().StartsWith('{')))!;

    private static async Task<(int Code, string Output)> RunAsync(string file, string arguments, string? stdin, TimeSpan limit)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = Folder!,
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {limit.TotalMinutes:N0} min; {await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string Tail(string text) => text.Length > 600 ? text[^600..] : text;

    private static string? FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "benchmarks", "langgraph");
            if (File.Exists(Path.Combine(candidate, "bench.mjs"))) return candidate;
        }
        return null;
    }
}
