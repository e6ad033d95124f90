namespace Gleitzeit.Benchmarks;

/// <summary>
/// The process's peak resident set as the kernel keeps it (<c>VmHWM</c> in <c>/proc/self/status</c>), reset before each
/// timed run by writing 5 to <c>/proc/self/clear_refs</c>. It replaced a thread that sampled the working set every 5 ms:
/// on two cores that thread's wake-ups slowed a 10,000-task chain (78 against 41 ms in one comparison, less in others).
/// </summary>
internal static class PeakResidentSet
{
    public static void Reset() => File.WriteAllText("/proc/self/clear_refs", "5");

    public static long Read()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) * 1024;
        }
        throw new InvalidOperationException("/proc/self/status has no VmHWM line");
    }
}
