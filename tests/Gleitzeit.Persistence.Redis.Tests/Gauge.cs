using System.Globalization;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>
/// A counter of tasks running at once, in a file shared by every worker of a test (threads and processes alike): the file
/// holds "current max", updated under an exclusive lock (<see cref="FileShare.None"/>), so the most ever seen at once is exact.
/// </summary>
internal static class Gauge
{
    public static void Adjust(string path, int delta)
    {
        while (true)
        {
            try
            {
                using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                using var reader = new StreamReader(file, leaveOpen: true);
                var parts = reader.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var current = parts.Length == 2 ? int.Parse(parts[0], CultureInfo.InvariantCulture) : 0;
                var max = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0;
                current += delta;
                max = Math.Max(max, current);
                file.SetLength(0);
                using var writer = new StreamWriter(file);
                writer.Write(string.Create(CultureInfo.InvariantCulture, $"{current} {max}"));
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>(tasks running now, most running at once so far).</summary>
    public static (int Current, int Max) Read(string path)
    {
        if (!File.Exists(path)) return (0, 0);
        var parts = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
