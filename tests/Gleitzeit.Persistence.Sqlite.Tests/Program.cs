using Gleitzeit.Persistence.Sqlite.Tests.Resume;

namespace Gleitzeit.Persistence.Sqlite.Tests;

/// <summary>
/// The test assembly doubles as the crash tests' child process (the test SDK's generated entry point is turned off in
/// the project file). The test host never calls this.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 4 && args[0] == CrashChild.Flag) return await CrashChild.RunAsync(args[1], args[2], args[3]);
        if (args.Length == 5 && args[0] == ControlFlowCrashChild.Flag) return await ControlFlowCrashChild.RunAsync(args[1], args[2], args[3], args[4]);
        if (args.Length == 4 && args[0] == LoopCrashChild.Flag) return await LoopCrashChild.RunAsync(args[1], args[3]);
        await Console.Error.WriteLineAsync($"usage: {CrashChild.Flag} DATABASE SIDE_EFFECT_DIRECTORY RUN_ID (this assembly is a test assembly; run it with dotnet test)");
        return 2;
    }
}
