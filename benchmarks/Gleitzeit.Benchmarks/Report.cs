namespace Gleitzeit.Benchmarks;

/// <summary>Collects rows, target checks and notes; prints them as plain-text tables.</summary>
internal sealed class Report
{
    private readonly List<(string Section, string Name, Sample Sample)> _rows = [];
    private readonly List<(string Target, bool Met, string Actual)> _targets = [];
    private readonly List<string> _notes = [];

    public void Add(string section, string name, Sample sample)
    {
        _rows.Add((section, name, sample));
        Console.WriteLine($"  {section}: {name}: median {sample.Median * 1000:N1} ms ({sample.UnitsPerSecond:N0}/s)");
    }

    public void Target(string target, bool met, string actual) => _targets.Add((target, met, actual));

    public void Note(string note)
    {
        _notes.Add(note);
        Console.WriteLine("  note: " + note);
    }

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"| {"section",-11} | {"workload",-52} | {"median ms",10} | {"min ms",9} | {"max ms",9} | {"units/s",11} | {"µs/unit",9} | {"alloc B/unit",12} | {"peak WS MB",10} | {"gen0/run",8} | {"gen2/run",8} | {"GC pause ms",11} | {"CPU µs/unit",11} |");
        Console.WriteLine($"|{new string('-', 13)}|{new string('-', 54)}|{new string('-', 12)}|{new string('-', 11)}|{new string('-', 11)}|{new string('-', 13)}|{new string('-', 11)}|{new string('-', 14)}|{new string('-', 12)}|{new string('-', 10)}|{new string('-', 10)}|{new string('-', 13)}|{new string('-', 13)}|");
        foreach (var (section, name, s) in _rows)
        {
            Console.WriteLine($"| {section,-11} | {name,-52} | {s.Median * 1000,10:N1} | {s.Min * 1000,9:N1} | {s.Max * 1000,9:N1} | {s.UnitsPerSecond,11:N0} | {s.MicrosPerUnit,9:N2} | {s.AllocatedBytesPerUnit,12:N0} | {s.PeakWorkingSetBytes / 1048576.0,10:N0} | {s.Gen0PerRun,8:N1} | {s.Gen2PerRun,8:N1} | {s.GcPauseMsPerRun,11:N1} | {s.CpuMicrosPerUnit,11:N1} |");
        }
        Console.WriteLine();
        Console.WriteLine($"| {"target",-48} | {"actual",-12} | {"result",-6} |");
        Console.WriteLine($"|{new string('-', 50)}|{new string('-', 14)}|{new string('-', 8)}|");
        foreach (var (target, met, actual) in _targets) Console.WriteLine($"| {target,-48} | {actual,-12} | {(met ? "met" : "MISSED"),-6} |");
        if (_notes.Count > 0)
        {
            Console.WriteLine();
            foreach (var note in _notes) Console.WriteLine("- " + note);
        }
        Console.WriteLine();
        Console.WriteLine("load after: " + File.ReadAllText("/proc/loadavg").Trim());
    }
}
