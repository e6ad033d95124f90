namespace Gleitzeit.Cli.Tests;

/// <summary><c>init NAME --type</c> writes a template folder.</summary>
public sealed class InitTests
{
    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [TestCase("python", new[] { "workflow.yaml", "scripts/stats.py" })]
    [TestCase("llm", new[] { "workflow.yaml" })]
    [TestCase("mixed", new[] { "workflow.yaml", "scripts/stats.py" })]
    public async Task Init_writes_the_template_files(string type, string[] files)
    {
        var result = await _cli.RunAsync("init", "demo", "--type", type, "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var json = result.Json();
        var folder = Path.Combine(_cli.WorkDirectory, "demo");
        Assert.That((string)json["directory"]!, Is.EqualTo(folder));
        Assert.That((string)json["type"]!, Is.EqualTo(type));
        Assert.That(json["files"]!.AsArray().Select(f => (string)f!), Is.EquivalentTo(files.Select(f => Path.Combine(folder, f))));
        foreach (var f in files) Assert.That(File.Exists(Path.Combine(folder, f)), f);
        Assert.That(File.ReadAllText(Path.Combine(folder, "workflow.yaml")), Does.Contain("name: \"demo\""));
    }

    [Test]
    public async Task Init_uses_the_configured_default_model()
    {
        _cli.WriteConfig("providers:\n  ollama:\n    default_model: tinyllama\n");

        var result = await _cli.RunAsync("init", "chat", "--type", "llm");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(File.ReadAllText(Path.Combine(_cli.WorkDirectory, "chat", "workflow.yaml")), Does.Contain("model: \"tinyllama\""));
        Assert.That(result.StdOut, Does.Contain("gleitzeit run"));
    }

    [Test]
    public async Task Init_refuses_a_folder_that_is_not_empty()
    {
        _cli.WriteFile("demo/notes.txt", "mine");

        var result = await _cli.RunAsync("init", "demo");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("--force"));
        Assert.That(File.Exists(Path.Combine(_cli.WorkDirectory, "demo", "workflow.yaml")), Is.False);
    }

    [Test]
    public async Task Init_rejects_an_unknown_type()
    {
        var result = await _cli.RunAsync("init", "demo", "--type", "rust");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("rust"));
    }
}
