namespace Gleitzeit.Benchmarks;

/// <summary>A DAG as dependency lists: node i depends on Deps[i] (all lower indices, so 0..n-1 is a topological order).</summary>
internal sealed record Dag(string Name, int[][] Deps)
{
    public int Count => Deps.Length;
    public int Edges => Deps.Sum(d => d.Length);

    public static Dag Chain(int n) => new("chain", Enumerable.Range(0, n).Select(i => i == 0 ? Array.Empty<int>() : [i - 1]).ToArray());

    /// <summary>One root, n-2 parallel tasks reading it, one sink reading them all.</summary>
    public static Dag FanOutIn(int n)
    {
        var deps = new int[n][];
        deps[0] = [];
        for (var i = 1; i < n - 1; i++) deps[i] = [0];
        deps[n - 1] = Enumerable.Range(1, n - 2).ToArray();
        return new("fan-out+in", deps);
    }

    /// <summary>Random DAG, fixed seed: each node after the third picks 3 distinct earlier nodes (≈3n edges).</summary>
    public static Dag Random(int n, int seed = 42)
    {
        var rng = new Random(seed);
        var deps = new int[n][];
        for (var i = 0; i < n; i++)
        {
            var k = Math.Min(i, 3);
            var set = new HashSet<int>();
            while (set.Count < k) set.Add(rng.Next(i));
            deps[i] = set.Order().ToArray();
        }
        return new("random DAG", deps);
    }

    /// <summary>Longest-path level of each node (for engines that only know parallel blocks).</summary>
    public int[] Levels()
    {
        var level = new int[Count];
        for (var i = 0; i < Count; i++) level[i] = Deps[i].Length == 0 ? 0 : Deps[i].Max(d => level[d]) + 1;
        return level;
    }
}
