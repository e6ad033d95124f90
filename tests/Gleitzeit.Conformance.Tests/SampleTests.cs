namespace Gleitzeit.Conformance.Tests;

/// <summary>Each sample of Gleitzeit.Samples run as a process (<c>dotnet Gleitzeit.Samples.dll NAME --test-server</c>).</summary>
public class SampleTests
{
    public static readonly string[] Names = ["code-built", "yaml", "batch", "custom-provider", "hosted-worker", "events", "approvals", "openai-pipeline"];

    [TestCaseSource(nameof(Names))]
    public async Task Sample_runs_against_the_test_server_and_leaves_nothing_behind(string name)
    {
        var temp = Directory.CreateTempSubdirectory("gleitzeit-sample-tmp-").FullName;
        var home = Directory.CreateTempSubdirectory("gleitzeit-sample-home-").FullName;
        try
        {
            var result = await RunAsync(new Dictionary<string, string?> { ["TMPDIR"] = temp, ["HOME"] = home }, name, "--test-server");

            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.StdOut, Does.Contain(": completed"), result.ToString());
            Assert.That(Directory.GetFileSystemEntries(temp), Is.Empty, $"{name} left files in its temp directory");
            Assert.That(Directory.Exists(Path.Combine(home, ".gleitzeit")), Is.False, $"{name} wrote under ~/.gleitzeit");
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
            Directory.Delete(home, recursive: true);
        }
    }

    [Test]
    public async Task No_arguments_lists_every_sample()
    {
        var result = await RunAsync();

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        foreach (var name in Names) Assert.That(result.StdOut, Does.Contain($"  {name} "), result.ToString());
    }

    [Test]
    public async Task An_llm_sample_without_ollama_says_how_to_start_one()
    {
        var result = await RunAsync(new Dictionary<string, string?> { ["GLEITZEIT_OLLAMA_URL"] = "http://127.0.0.1:9" }, "code-built");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.StdErr, Does.Contain("no Ollama is reachable at http://127.0.0.1:9/").And.Contain("ollama serve").And.Contain("--test-server"), result.ToString());
    }

    [Test]
    public async Task An_unknown_sample_is_a_clear_error()
    {
        var result = await RunAsync("code-bilt");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("unknown sample 'code-bilt'").And.Contain("code-built"), result.ToString());
    }

    private static Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(null, arguments);

    private static Task<ProcessResult> RunAsync(IDictionary<string, string?>? environment, params string[] arguments) =>
        ProcessRunner.RunDllAsync(Locations.Samples, arguments, Locations.RepositoryRoot, environment);
}
