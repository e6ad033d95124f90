using System.Diagnostics;

namespace Gleitzeit.Benchmarks;

/// <summary>
/// The macro harness: warm-up runs, then timed runs; allocations over all threads, the peak resident set from the kernel.
/// Warm-up (when any is asked for) lasts at least <see cref="MinWarmup"/> as well as the runs asked for: tiered
/// compilation moves a method to optimized code only once no new method has been compiled for 100 ms, so the first second
/// of short runs measures partly unoptimized code (a 10,000-task chain took 120–270 ms in its first runs in a fresh
/// process, 30–50 ms from the twelfth on). Every engine measured in the process gets the same warm-up.
/// </summary>
internal static class Macro
{
    public static readonly TimeSpan MinWarmup = TimeSpan.FromSeconds(2);

    private const int MaxWarmups = 50;

    public static async Task<Sample> RunAsync(int warmups, int runs, long units, Func<Task> body, Func<Task>? setup = null)
    {
        var warming = Stopwatch.StartNew();
        for (var i = 0; i < MaxWarmups && (i < warmups || (warmups > 0 && warming.Elapsed < MinWarmup)); i++)
        {
            if (setup is not null) await setup();
            await body();
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
