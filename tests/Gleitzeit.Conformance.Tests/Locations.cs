using System.Reflection;

namespace Gleitzeit.Conformance.Tests;

/// <summary>Where the things these tests run are: the repository, the built CLI, samples and MCP test server, the shared conformance set.</summary>
internal static class Locations
{
    private static string Metadata(string key) =>
        typeof(Locations).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    public static string McpTestServer => Built(Metadata("McpTestServer"), "tests/Gleitzeit.Testing.McpServer");

    public static string Cli => Built(Metadata("Cli"), "Gleitzeit.Cli");

    public static string Samples => Built(Metadata("Samples"), "Gleitzeit.Samples");

    /// <summary>The dotnet host running the tests (dotnet test sets DOTNET_HOST_PATH).</summary>
    public static string DotNet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary><c>shared/conformance/original-examples</c>, found by walking up from the test assembly's folder.</summary>
    public static string OriginalExamples
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "conformance", "original-examples");
                if (Directory.Exists(candidate)) return candidate;
            }
            Assert.Fail($"No shared/conformance/original-examples in any directory above {AppContext.BaseDirectory}: the original example workflows are needed to run these tests.");
            return "";
        }
    }

    private static string Built(string path, string project)
    {
        if (!File.Exists(path)) Assert.Fail($"{path} is not built: build {project}.");
        return path;
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }
}
