using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Gleitzeit.Providers.Python.Workers;

/// <summary>Kills a worker together with every process its code started.</summary>
internal static partial class ProcessGroup
{
    private const int SigKill = 9;
    private const int SigStop = 19;

    /// <summary>
    /// Linux: every descendant of the worker is stopped first (a stopped process cannot fork), found again until no new one
    /// shows up, then everything is killed. The worker is a child subreaper, so a process that left the group with
    /// <c>setsid</c> and whose parent exited (a daemon) is still its descendant. Then SIGKILL to the worker's process group,
    /// and a tree kill for whatever remains (and on Windows, where there are no process groups).
    /// Call it at most once with a group per worker: once the group is empty its id may be reused.
    /// </summary>
    public static void KillAll(Process process, int? processGroup)
    {
        int root;
        try
        {
            root = process.Id;
        }
        catch (InvalidOperationException)
        {
            return; // never started
        }
        if (OperatingSystem.IsLinux()) FreezeAndKillTree(root);
        if (processGroup is > 1 && !OperatingSystem.IsWindows()) Signal(-processGroup.Value, SigKill);
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // exited between the check and the kill
        }
    }

    private static void FreezeAndKillTree(int root)
    {
        var stopped = new HashSet<int> { root };
        Signal(root, SigStop);
        for (var round = 0; round < 20; round++)
        {
            var found = false;
            foreach (var pid in Descendants(root))
            {
                if (!stopped.Add(pid)) continue;
                Signal(pid, SigStop);
                found = true;
            }
            if (!found) break;
        }
        foreach (var pid in stopped) Signal(pid, SigKill);
    }

    /// <summary>Pids below <paramref name="root"/>, from the parent pid in /proc/PID/stat.</summary>
    private static List<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            var close = stat.LastIndexOf(')');
            if (close < 0) continue;
            var fields = stat[(close + 2)..].Split(' ', 3);
            if (fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)) continue;
            if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
            list.Add(pid);
        }
        var result = new List<int>();
        var todo = new Stack<int>();
        todo.Push(root);
        while (todo.Count > 0)
        {
            if (!children.TryGetValue(todo.Pop(), out var list)) continue;
            foreach (var child in list)
            {
                result.Add(child);
                todo.Push(child);
            }
        }
        return result;
    }

    private static void Signal(int pid, int signal)
    {
        try
        {
            _ = Kill(pid, signal);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // no libc under that name: the tree kill still runs
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
