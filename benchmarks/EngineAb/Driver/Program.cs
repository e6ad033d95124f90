using System.Reflection;
using System.Runtime.Loader;

// Engine A/B in one process: each argument NAME=PATH names a build of Gleitzeit.EngineAb.Probe.dll (one per engine version);
// each is loaded into its own AssemblyLoadContext, and their runs alternate (A B A B ...), so both see the same machine load.
// Usage: dotnet Gleitzeit.EngineAb.dll [--shapes chain,fan,random] [--n 10000] [--runs 15] [--warmup 3] [--concurrency 8] NAME=PATH ...
var shapes = Arg("--shapes", "chain,fan,random").Split(',');
var n = int.Parse(Arg("--n", "10000"));
var runs = int.Parse(Arg("--runs", "15"));
var warmup = int.Parse(Arg("--warmup", "3"));
var concurrency = int.Parse(Arg("--concurrency", "8"));
var builds = args.Where(a => a.Contains('=') && !a.StartsWith("--")).Select(a => (Name: a[..a.IndexOf('=')], Run: Load(a[(a.IndexOf('=') + 1)..]))).ToList();
if (builds.Count == 0)
{
    Console.Error.WriteLine("give at least one NAME=PATH/Gleitzeit.EngineAb.Probe.dll");
    return 2;
}
Console.WriteLine($"engine A/B, {DateTime.UtcNow:u}, nproc {Environment.ProcessorCount}, n {n}, runs {runs} (+{warmup} warm-up) alternating, load {File.ReadAllText("/proc/loadavg").Trim()}");
foreach (var shape in shapes)
{
    var results = builds.ToDictionary(b => b.Name, _ => new List<double[]>());
    for (var i = 0; i < warmup + runs; i++)
    {
        // Alternate the order too, so neither build always runs right after the other's garbage.
        foreach (var b in i % 2 == 0 ? builds : Enumerable.Reverse(builds))
        {
            var r = b.Run(shape, n, concurrency);
            if (i >= warmup) results[b.Name].Add(r);
        }
    }
    var baseline = builds[0].Name;
    foreach (var b in builds)
    {
        var rs = results[b.Name];
        double Med(int k) => Median(rs.Select(r => r[k]));
        var ratioWall = Median(rs.Select((r, i) => r[0] / results[baseline][i][0]));
        var ratioCpu = Median(rs.Select((r, i) => r[1] / results[baseline][i][1]));
        Console.WriteLine($"{shape,-7} {b.Name,-8} wall ms median {Med(0),8:N1} (min {rs.Min(r => r[0]),7:N1}, max {rs.Max(r => r[0]),7:N1})  cpu ms median {Med(1),8:N1} (min {rs.Min(r => r[1]),7:N1})  alloc B/task {Med(2) / n,7:N0}  GC pause ms {Med(3),7:N1}  gen0 {Med(4),4:N0}  paired ratio to {baseline}: wall {ratioWall:N3} cpu {ratioCpu:N3}");
    }
}
Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
return 0;

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static double Median(IEnumerable<double> values)
{
    var s = values.OrderBy(x => x).ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}

static Func<string, int, int, double[]> Load(string path)
{
    var full = Path.GetFullPath(path);
    var context = new ProbeContext(full);
    var type = context.LoadFromAssemblyPath(full).GetType("Gleitzeit.EngineAb.EngineProbe", throwOnError: true)!;
    var method = type.GetMethod("Run", BindingFlags.Public | BindingFlags.Static)!;
    // Older probes report three figures (wall, CPU, allocation): the rest read as 0.
    return (shape, n, c) => { var r = (double[])method.Invoke(null, [shape, n, c])!; return r.Length >= 5 ? r : [.. r, 0, 0]; };
}

sealed class ProbeContext(string probePath) : AssemblyLoadContext(Path.GetFileName(Path.GetDirectoryName(probePath)), isCollectible: false)
{
    private readonly AssemblyDependencyResolver _resolver = new(probePath);

    protected override Assembly? Load(AssemblyName name)
    {
        // Everything the probe ships (Gleitzeit.*, Microsoft.Extensions.*) comes from its own folder; the framework from the default context.
        // A dll in the folder that the probe's deps.json does not list (a package the SDK pruned) is taken from there too.
        var path = _resolver.ResolveAssemblyToPath(name) ?? Path.Combine(Path.GetDirectoryName(probePath)!, name.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
