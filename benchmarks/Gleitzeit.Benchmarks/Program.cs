using System.Text.Json.Nodes;
using Gleitzeit.Benchmarks;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Providers.Python;

if (args.Length > 0 && args[0] == "--scaleout-worker") return await ScaleOutRuns.WorkerMainAsync(args);

var quick = args.Contains("--quick");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
var report = new Report();
var (warm, runs) = quick ? (1, 3) : (2, 7);
var n = 10_000;
var peerN = 1_000; // WorkflowCore: ~0.1-0.4 ms per step; 10,000 would take minutes per run
var mafN = quick ? 1_000 : 10_000;
Console.WriteLine($"Gleitzeit benchmarks ({(quick ? "quick" : "full")}), {DateTime.UtcNow:u}, nproc {Environment.ProcessorCount}, load {File.ReadAllText("/proc/loadavg").Trim()}");

bool Want(string section) => only is null || only == section;

// Scale first: the peak working set is per process, and the peers leave a large heap behind.
if (Want("scale"))
{
    var sizes = quick ? new[] { 1_000, 10_000 } : new[] { 1_000, 10_000, 100_000 };
    var bySize = new Dictionary<int, Sample>();
    foreach (var size in sizes)
    {
        var s = await GleitzeitRuns.MeasureAsync(Dag.Random(size), size >= 100_000 ? 1 : warm, size >= 100_000 ? 3 : runs);
        bySize[size] = s;
        report.Add("3 scale", $"random DAG {size:N0}", s);
    }
    if (bySize.TryGetValue(100_000, out var big))
    {
        var f = big.Median / bySize[10_000].Median;
        report.Target("100k <= 11x 10k", f <= 11, $"{f:N1}x");
        // The same 100,000 tasks as ten runs of 10,000 back to back (a fresh engine each, no collection forced between
        // them): a lone 10,000-task run fits in one gen0 budget and never collects, ten of them pay the collections a
        // process running workflows all day pays. Per task, one big run against many small ones.
        var ten = await GleitzeitRuns.MeasureAsync(Dag.Random(10_000), 1, 3, repeat: 10);
        report.Add("3 scale", "random DAG 10,000, ten runs back to back", ten);
        report.Note($"scale: one 100,000-task run / ten 10,000-task runs back to back: {big.Median / ten.Median:N2}x the time (1.00 = linear)");
    }
    else report.Note("scale: 100,000 only in full mode");
}

if (Want("engine") || Want("peers"))
{
    foreach (var dag in new[] { Dag.Chain(n), Dag.FanOutIn(n), Dag.Random(n) })
    {
        var g = await GleitzeitRuns.MeasureAsync(dag, warm, runs);
        report.Add("1 engine", $"Gleitzeit {dag.Name} {dag.Count:N0} tasks/{dag.Edges:N0} edges", g);
        report.Target($"{dag.Name} >= 100,000 tasks/s", g.UnitsPerSecond >= 100_000, $"{g.UnitsPerSecond:N0}/s");
        report.Target($"{dag.Name} <= 10 µs/task", g.MicrosPerUnit <= 10, $"{g.MicrosPerUnit:N1} µs");
        if (!Want("peers")) continue;

        var small = dag.Name switch { "chain" => Dag.Chain(peerN), "fan-out+in" => Dag.FanOutIn(peerN), _ => Dag.Random(peerN) };
        var gSmall = small.Count == dag.Count ? g : await GleitzeitRuns.MeasureAsync(small, warm, runs);
        if (small.Count != dag.Count) report.Add("2 peers", $"Gleitzeit {small.Name} {small.Count:N0}", gSmall);
        var wc = await WorkflowCoreRuns.MeasureAsync(small, quick ? 0 : 1, quick ? 1 : 3);
        report.Add("2 peers", $"WorkflowCore {small.Name} {small.Count:N0}" + (small.Name == "random DAG" ? " (levels)" : ""), wc);
        var ratio = wc.Median / gSmall.Median;
        report.Target($"Gleitzeit/WorkflowCore {small.Name} >= 50x", ratio >= 50, $"{ratio:N1}x");
        var mafDag = mafN == small.Count ? small : dag;
        var gMaf = mafN == small.Count ? gSmall : g;
        var maf = await AgentFrameworkRuns.MeasureAsync(mafDag, quick ? 0 : 1, quick ? 1 : 3);
        report.Add("2 peers", $"Agent Framework {mafDag.Name} {mafDag.Count:N0}", maf);
        report.Note($"Gleitzeit/Agent Framework {mafDag.Name} {mafDag.Count:N0}: {maf.Median / gMaf.Median:N1}x ({AgentFrameworkRuns.LastExecuted:N0} handler calls for {mafDag.Count:N0} executors)");
    }
}

if (only == "sweep")
{
    foreach (var size in new[] { 1_000, 2_000, 5_000, 10_000, 20_000 })
    {
        report.Add("sweep", $"chain {size:N0}", await GleitzeitRuns.MeasureAsync(Dag.Chain(size), 1, 3));
        report.Add("sweep", $"fan-out+in {size:N0}", await GleitzeitRuns.MeasureAsync(Dag.FanOutIn(size), 1, 3));
        foreach (var dag in new[] { Dag.Chain(size), Dag.FanOutIn(size), Dag.Random(size) })
        {
            var wf = GleitzeitRuns.ToWorkflow(dag);
            var registry = GleitzeitRuns.Engine().Registry;
            report.Add("sweep", $"validate only {dag.Name} {size:N0}", await Macro.RunAsync(1, 3, size, () => { WorkflowValidator.EnsureValid(wf, registry); return Task.CompletedTask; }));
        }
    }
}

if (Want("stores"))
{
    var storeN = quick ? 2_000 : 10_000;
    var dag = Dag.Chain(storeN);
    report.Add("4 stores", $"in-memory chain {storeN:N0}", await GleitzeitRuns.MeasureAsync(dag, warm, runs));
    var sq = await SqliteRuns.MeasureAsync(dag, 1, quick ? 2 : 3);
    report.Add("4 stores", $"SQLite chain {storeN:N0}", sq);
    report.Target("SQLite >= 10,000 tasks/s", sq.UnitsPerSecond >= 10_000, $"{sq.UnitsPerSecond:N0}/s");
    report.Add("4 stores", $"SQLite random DAG {storeN:N0}", await SqliteRuns.MeasureAsync(Dag.Random(storeN), 1, quick ? 2 : 3));
    await RedisRuns.MeasureAsync(report, dag, quick ? 2 : 3);
}

// Durable: the chain on SQLite with the default settings and with synchronous=FULL (only with --only sqlite).
if (only == "sqlite") await SqliteRuns.SectionAsync(report, quick, quick ? 2_000 : n);

if (Want("python"))
{
    foreach (var isolation in new[] { PythonIsolation.Pool, PythonIsolation.Process })
    {
        var count = isolation == PythonIsolation.Pool ? (quick ? 500 : 2_000) : (quick ? 20 : 100);
        var provider = new PythonProvider(new PythonOptions { Isolation = isolation, Workers = 2 });
        await using var _ = provider;
        var tasks = Enumerable.Range(0, count).Select(i => new WorkflowTask
        {
            Id = "p" + i, Protocol = "python/v1", Method = "python/execute", Parameters = new JsonObject { ["code"] = $"result = {i} * 2" },
        }).ToArray();
        var wf = new Workflow { Name = "python-" + isolation, Tasks = tasks };
        var engine = GleitzeitRuns.Engine(provider: provider, maxConcurrency: 8);
        var s = await Macro.RunAsync(1, quick ? 2 : 3, count, () => GleitzeitRuns.RunAsync(engine, wf));
        await engine.DisposeAsync();
        report.Add("5 providers", $"python/execute {isolation} x{count} (2 workers)", s);
        if (isolation == PythonIsolation.Pool) report.Target("python >= 1,000 tasks/s warm", s.UnitsPerSecond >= 1_000, $"{s.UnitsPerSecond:N0}/s");
    }
}

if (Want("foreach")) await ForEachRuns.MeasureAsync(report, warm, runs, n);

if (Want("subworkflow")) await SubWorkflowRuns.MeasureAsync(report, warm, runs, quick ? 200 : 1_000);

if (Want("mcp")) await McpRuns.MeasureAsync(report, quick);

if (Want("llm")) await LlmRuns.MeasureAsync(report, quick);

if (Want("cli")) await CliRuns.MeasureAsync(report, quick);

// LangGraph.js (npm) on the same DAGs, in the same run as Gleitzeit; only with --only langgraph (it needs node and an npm install).
if (only == "langgraph") await LangGraphRuns.SectionAsync(report, quick, warm, runs);

// A 1,000 ms branch beside ten 20 ms steps, then a join: when the fast branch finishes, per engine.
if (only == "slow-sibling")
{
    var (n1, n2) = quick ? (1, 3) : (1, 5);
    var (gFast, gTotal) = await SlowSiblingRuns.GleitzeitAsync(n1, n2);
    report.Add("8 slow-sibling", "Gleitzeit: fast branch done, ms after start", gFast);
    report.Note($"Gleitzeit slow-sibling: whole run median {Median(gTotal) * 1000:N0} ms");
    var (aFast, aTotal) = await SlowSiblingRuns.AgentFrameworkAsync(n1, n2);
    report.Add("8 slow-sibling", "Agent Framework: fast branch done, ms after start", aFast);
    report.Note($"Agent Framework slow-sibling: whole run median {Median(aTotal) * 1000:N0} ms");
    var missing = await LangGraphRuns.EnsureInstalledAsync(sqlite: false);
    if (missing is not null) report.Note("LangGraph slow-sibling: skipped — " + missing);
    else
    {
        var (lFast, lTotal) = await LangGraphRuns.SlowSiblingAsync(n1, n2);
        report.Add("8 slow-sibling", "LangGraph.js: fast branch done, ms after start", lFast);
        report.Note($"LangGraph.js slow-sibling: whole run median {Median(lTotal) * 1000:N0} ms");
    }
}
if (Want("cost")) await CostRuns.MeasureAsync(report, quick, warm, runs);

// Scale-out: the Redis queue with 1, 2 and 4 worker processes (only with --only scaleout: it starts redis-server and workers).
if (only == "scaleout") await ScaleOutRuns.MeasureAsync(report, quick);

report.Print();
return 0;

static double Median(double[] values)
{
    var s = values.Order().ToArray();
    return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}
