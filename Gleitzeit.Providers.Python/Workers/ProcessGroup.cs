using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Gleitzeit.Providers.Python.Workers;

/// <summary>Kills a worker together with every process its code started.</summary>
internal static partial class ProcessGroup
{
    private const int SigKill = 9;

    /// <summary>
    /// SIGKILL to the worker's process group (the worker calls setsid, so children that left the process tree are
    /// still in it), then a tree kill for whatever remains (and on Windows, where there are no process groups).
    /// Call it at most once with a group per worker: once the group is empty its id may be reused.
    /// </summary>
    public static void KillAll(Process process, int? processGroup)
    {
        if (processGroup is > 1 && !OperatingSystem.IsWindows())
        {
            try
            {
                _ = Kill(-processGroup.Value, SigKill);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // no libc under that name: the tree kill below still runs
            }
        }
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

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
