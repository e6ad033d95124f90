namespace Gleitzeit.Benchmarks;

/// <summary>One measured workload: wall times of several runs, allocations, peak working set and the process's CPU time
/// (all threads; on a loaded machine it varies far less than wall time, since waiting for a core is not counted).</summary>
internal sealed record Sample(double[] Seconds, long Units, double AllocatedBytesPerUnit, long PeakWorkingSetBytes, double Gen0PerRun = 0, double Gen2PerRun = 0, double GcPauseMsPerRun = 0, double CpuSecondsPerRun = 0)
{
    /// <summary>CPU time of this process per unit, in µs (0 when not measured).</summary>
    public double CpuMicrosPerUnit => CpuSecondsPerRun * 1e6 / Units;

    public double Median => Quantile(0.5);
    public double Min => Seconds.Min();
    public double Max => Seconds.Max();
    public double UnitsPerSecond => Units / Median;
    public double MicrosPerUnit => Median * 1e6 / Units;

    private double Quantile(double q)
    {
        var s = Seconds.OrderBy(x => x).ToArray();
        var pos = q * (s.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = (int)Math.Ceiling(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }
}
