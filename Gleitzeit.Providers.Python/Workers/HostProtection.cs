using System.Runtime.InteropServices;

namespace Gleitzeit.Providers.Python.Workers;

/// <summary>
/// Linux: before the first worker starts, the host process is made non-dumpable (<c>prctl(PR_SET_DUMPABLE, 0)</c>), so
/// processes of the same user, task code among them, can neither read its <c>/proc/PID/environ</c>, <c>mem</c> or
/// <c>fd/</c> nor ptrace it. Side effects for the host: no core dumps, and debuggers or dump tools that attach by ptrace
/// (dotnet-dump, createdump, gdb) need root. Only hosts that start Python workers are affected.
/// </summary>
internal static partial class HostProtection
{
    private const int PrSetDumpable = 4;

    private static int _applied;

    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _applied, 1) == 1) return;
        try
        {
            _ = Prctl(PrSetDumpable, 0, 0, 0, 0); // a failure leaves the host dumpable, as it was
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // no libc under that name: nothing to apply
        }
    }

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
