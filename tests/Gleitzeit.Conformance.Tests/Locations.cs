using System.Reflection;

namespace Gleitzeit.Conformance.Tests;

/// <summary>Where the things these tests run are: the repository, the built CLI, samples and MCP test server (the workflow files are found by <c>TestData</c>).</summary>
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

    private static string Built(string path, string project)
    {
        if (!File.Exists(path)) Assert.Fail($"{path} is not built: build {project}.");
        return path;
    }
}
