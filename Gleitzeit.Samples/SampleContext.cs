namespace Gleitzeit.Samples;

/// <summary>What a sample gets: the Ollama endpoint to use (a real one, or the test server), and whether --test-server was given.</summary>
internal sealed record SampleContext(Uri OllamaEndpoint, bool TestServer = false)
{
    /// <summary>The repository's examples/ folder, found by walking up from the current and the program's directory.</summary>
    public static string ExamplesDirectory
    {
        get
        {
            foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    var candidate = Path.Combine(dir.FullName, "examples");
                    if (File.Exists(Path.Combine(candidate, "python_mcp_workflow.yaml"))) return candidate;
                }
            }
            throw new DirectoryNotFoundException("The examples/ folder of the Gleitzeit repository was not found above the current directory: run the samples from inside the repository.");
        }
    }
}
