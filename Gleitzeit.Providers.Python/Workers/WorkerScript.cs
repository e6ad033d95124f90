using System.Security.Cryptography;

namespace Gleitzeit.Providers.Python.Workers;

/// <summary>
/// The worker bootstrap as a file, so <c>ps</c> shows <c>python3 -X utf8 -u .../python-worker-HASH.py</c> rather than a
/// 400-line <c>-c</c> argument. It is written once per content hash into a directory only this user can write:
/// <c>$XDG_CACHE_HOME/gleitzeit</c> or <c>~/.cache/gleitzeit</c>, else a private temporary directory removed at exit.
/// </summary>
internal static class WorkerScript
{
    private static readonly Lazy<string> Written = new(Write, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => Written.Value;

    private static string Write()
    {
        byte[] content;
        using (var stream = typeof(WorkerScript).Assembly.GetManifestResourceStream("Gleitzeit.Providers.Python.worker.py")
            ?? throw new InvalidOperationException("The worker bootstrap resource is missing from Gleitzeit.Providers.Python."))
        using (var memory = new MemoryStream())
        {
            stream.CopyTo(memory);
            content = memory.ToArray();
        }
        var name = $"python-worker-{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}.py";
        foreach (var directory in CacheDirectories())
        {
            try
            {
                return WriteInto(directory, name, content);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // not writable or not private: try the next place, at last a private temporary directory
            }
        }
        var temporary = Directory.CreateTempSubdirectory("gleitzeit-python-").FullName; // 0700 on Unix
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(temporary, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // best effort at exit
            }
        };
        return WriteInto(temporary, name, content);
    }

    private static IEnumerable<string> CacheDirectories()
    {
        if (OperatingSystem.IsWindows())
        {
            var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            if (local.Length > 0) yield return System.IO.Path.Combine(local, "gleitzeit");
            yield break;
        }
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && System.IO.Path.IsPathRooted(xdg))
        {
            yield return System.IO.Path.Combine(xdg, "gleitzeit");
        }
        if (Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home && System.IO.Path.IsPathRooted(home))
        {
            yield return System.IO.Path.Combine(home, ".cache", "gleitzeit");
        }
    }

    private static string WriteInto(string directory, string name, byte[] content)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(directory) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new IOException("others can write there");
        }
        var path = System.IO.Path.Combine(directory, name);
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(content)) return path;
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
