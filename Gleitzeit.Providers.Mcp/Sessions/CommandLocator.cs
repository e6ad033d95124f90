namespace Gleitzeit.Providers.Mcp.Sessions;

/// <summary>Finds a server command before starting it, so a missing one is reported by name instead of as a process error.</summary>
internal static class CommandLocator
{
    public static string? Find(string command, string? workingDirectory)
    {
        if (command.Contains(Path.DirectorySeparatorChar) || command.Contains(Path.AltDirectorySeparatorChar))
        {
            var full = Path.IsPathRooted(command) || workingDirectory is null ? Path.GetFullPath(command) : Path.GetFullPath(Path.Combine(workingDirectory, command));
            return File.Exists(full) ? full : null;
        }
        var extensions = OperatingSystem.IsWindows()
            ? (Environment.GetEnvironmentVariable("PATHEXT") ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries).Prepend("")
            : [""];
        foreach (var dir in SearchPath())
        {
            foreach (var ext in extensions)
            {
                var candidate = Path.Combine(dir, command + ext);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    public static string WhereLooked(string command) =>
        command.Contains(Path.DirectorySeparatorChar) || command.Contains(Path.AltDirectorySeparatorChar)
            ? "no such file"
            : "not on PATH";

    private static IEnumerable<string> SearchPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
}
