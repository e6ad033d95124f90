using System.Diagnostics;

namespace Gleitzeit.Benchmarks;

/// <summary>
/// The macro harness: warm-up runs, then timed runs; allocations over all threads, the peak resident set from the kernel.
/// Warm-up (when any is asked for) runs the runs asked for, then goes on while it still helps: for at least
/// <see cref="MinWarmup"/>, and beyond that until <see cref="Settle"/> passes without a run 5% faster than the fastest
/// before it (at most <see cref="MaxWarmup"/> in all). Tiered compilation optimizes a method only once no new method has
/// been compiled for 100 ms, so in a fresh process the first seconds of short runs measure partly unoptimized code (a
/// 10,000-task chain took 120–270 ms for its first dozen runs, 30–50 ms later; a 1,000-task chain measured first still
/// took 17 ms after 2 s of warm-up, 4.5 ms once the process had run more). Every engine in the process gets the same.
/// </summary>
internal static class Macro
{
    public static readonly TimeSpan MinWarmup = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxWarmup = TimeSpan.FromSeconds(10);

    private const int MaxWarmups = 1_000;

    public static async Task<Sample> RunAsync(int warmups, int runs, long units, Func<Task> body, Func<Task>? setup = null)
    {
        var warming = Stopwatch.StartNew();
        var fastest = TimeSpan.MaxValue;
        var fastestAt = TimeSpan.Zero;
        for (var i = 0; i < MaxWarmups; i++)
        {
            if (i >= warmups)
            {
                var elapsed = warming.Elapsed;
                if (warmups == 0 || elapsed >= MaxWarmup || (elapsed >= MinWarmup && elapsed - fastestAt >= Settle)) break;
            }
            if (setup is not null) await setup();
            var run = Stopwatch.StartNew();
            await body();
            if (run.Elapsed < fastest * 0.95)
            {
                fastest = run.Elapsed;
                fastestAt = warming.Elapsed;
            }
        }
        var seconds = new double[runs];
        long allocated = 0;
        long peak = 0;
        var pause = TimeSpan.Zero;
        var cpu = TimeSpan.Zero;
        using var self = Process.GetCurrentProcess();
        var gen0 = GC.CollectionCount(0);
        var gen2 = GC.CollectionCount(2);
        for (var i = 0; i < runs; i++)
        {
            if (setup is not null) await setup();
            var g0 = GC.CollectionCount(0);
            var g2 = GC.CollectionCount(2);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            gen0 += GC.CollectionCount(0) - g0;
            gen2 += GC.CollectionCount(2) - g2;
            PeakResidentSet.Reset();
            var pauseBefore = GC.GetTotalPauseDuration();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            self.Refresh();
            var cpuBefore = self.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            await body();
            sw.Stop();
            self.Refresh();
            cpu += self.TotalProcessorTime - cpuBefore;
            allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
            seconds[i] = sw.Elapsed.TotalSeconds;
            pause += GC.GetTotalPauseDuration() - pauseBefore;
            peak = Math.Max(peak, PeakResidentSet.Read());
        }
        return new Sample(seconds, units, (double)allocated / runs / units, peak, (double)(GC.CollectionCount(0) - gen0) / runs, (double)(GC.CollectionCount(2) - gen2) / runs, pause.TotalMilliseconds / runs, cpu.TotalSeconds / runs);
    }
}
