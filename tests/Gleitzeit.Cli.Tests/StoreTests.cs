namespace Gleitzeit.Cli.Tests;

/// <summary>The store commands against the default SQLite store in the temporary home.</summary>
public sealed class StoreTests
{
    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public async Task Get_stats_uses_the_sqlite_database_under_home()
    {
        var result = await _cli.RunAsync("backend", "get-stats", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var json = result.Json();
        Assert.That((string)json["backend"]!, Is.EqualTo("sqlite"));
        Assert.That((string)json["store"]!, Does.Contain(_cli.Database));
        Assert.That((int)json["total_runs"]!, Is.EqualTo(0));
        Assert.That(File.Exists(_cli.Database), Is.True);
    }

    [Test]
    public async Task Sqlite_path_from_the_environment_is_used()
    {
        var path = Path.Combine(_cli.Home, "elsewhere", "runs.db");
        _cli.Environment["GLEITZEIT_SQLITE_PATH"] = path;

        var result = await _cli.RunAsync("workflow", "list", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Json()["runs"]!.AsArray(), Is.Empty);
        Assert.That(File.Exists(path), Is.True);
    }

    [Test]
    public async Task Memory_backend_flag_creates_no_database()
    {
        var result = await _cli.RunAsync("backend", "get-stats", "--backend", "memory", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That((string)result.Json()["backend"]!, Is.EqualTo("memory"));
        Assert.That(File.Exists(_cli.Database), Is.False);
    }

    [Test]
    public async Task Config_and_help_do_not_open_the_store()
    {
        await _cli.RunAsync("config");
        await _cli.RunAsync("--help");
        await _cli.RunAsync("--version");

        Assert.That(File.Exists(_cli.Database), Is.False);
    }
}
