using System.Diagnostics;

namespace Gleitzeit.Benchmarks;

/// <summary>The macro harness: warm-up runs, then timed runs; allocations over all threads, working set sampled every 5 ms.</summary>
internal static class Macro
{
    public static async Task<Sample> RunAsync(int warmups, int runs, long units, Func<Task> body, Func<Task>? setup = null)
    {
        for (var i = 0; i < warmups; i++)
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
            using var sampler = new PeakSampler();
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
            peak = Math.Max(peak, sampler.Stop());
        }
        return new Sample(seconds, units, (double)allocated / runs / units, peak, (double)(GC.CollectionCount(0) - gen0) / runs, (double)(GC.CollectionCount(2) - gen2) / runs, pause.TotalMilliseconds / runs, cpu.TotalSeconds / runs);
    }

    private sealed class PeakSampler : IDisposable
    {
        private readonly Process _self = Process.GetCurrentProcess();
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _peak;

        public PeakSampler()
        {
            _peak = Current();
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    var ws = Current();
                    if (ws > Interlocked.Read(ref _peak)) Interlocked.Exchange(ref _peak, ws);
                    Thread.Sleep(5);
                }
            }) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
            _thread.Start();
        }

        private long Current()
        {
            _self.Refresh();
            return _self.WorkingSet64;
        }

        public long Stop()
        {
            _stop = true;
            _thread.Join();
            return Math.Max(Interlocked.Read(ref _peak), Current());
        }

        public void Dispose()
        {
            _stop = true;
            _self.Dispose();
        }
    }
}
