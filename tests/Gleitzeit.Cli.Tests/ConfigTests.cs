namespace Gleitzeit.Cli.Tests;

/// <summary><c>config</c>: file, then environment, then flags, each value with its source.</summary>
public sealed class ConfigTests
{
    private CliProcess _cli = null!;

    [SetUp]
    public void SetUp() => _cli = new CliProcess();

    [TearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public async Task Config_shows_each_value_with_where_it_came_from()
    {
        _cli.WriteConfig("""
            persistence:
              backend: memory
              sqlite: { path: /tmp/x/gleitzeit.db }
            providers:
              ollama: { url: http://file-host:11434, default_model: "qwen:0.5b" }
              python: { workers: 3 }
            execution: { max_concurrent_tasks: 16 }
            """);
        _cli.Environment["GLEITZEIT_OLLAMA_URL"] = "http://env-host:11434";

        var result = await _cli.RunAsync("config", "--backend", "sqlite", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var json = result.Json();
        Assert.That((string)json["config_file"]!, Is.EqualTo(_cli.ConfigFile));
        Assert.That((string)json["config_file_source"]!, Is.EqualTo("GLEITZEIT_CONFIG"));
        Assert.That((bool)json["config_file_exists"]!, Is.True);
        var values = json["values"]!;
        Assert.Multiple(() =>
        {
            Assert.That((string)values["persistence.backend"]!["value"]!, Is.EqualTo("sqlite"));
            Assert.That((string)values["persistence.backend"]!["source"]!, Is.EqualTo("flag --backend"));
            Assert.That((string)values["persistence.sqlite.path"]!["value"]!, Is.EqualTo("/tmp/x/gleitzeit.db"));
            Assert.That((string)values["persistence.sqlite.path"]!["source"]!, Is.EqualTo("file " + _cli.ConfigFile));
            Assert.That((string)values["providers.ollama.url"]!["value"]!, Is.EqualTo("http://env-host:11434"));
            Assert.That((string)values["providers.ollama.url"]!["source"]!, Is.EqualTo("env GLEITZEIT_OLLAMA_URL"));
            Assert.That((string)values["providers.ollama.default_model"]!["value"]!, Is.EqualTo("qwen:0.5b"));
            Assert.That((string)values["providers.python.workers"]!["value"]!, Is.EqualTo("3"));
            Assert.That((string)values["execution.max_concurrent_tasks"]!["value"]!, Is.EqualTo("16"));
            Assert.That((string)values["providers.python.interpreter"]!["source"]!, Is.EqualTo("default"));
        });
    }

    [Test]
    public async Task Config_text_is_a_table_of_key_value_source()
    {
        _cli.Environment["GLEITZEIT_PYTHON"] = "/usr/bin/python3";

        var result = await _cli.RunAsync("config");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdOut, Does.Match(@"providers\.python\.interpreter\s+/usr/bin/python3\s+env GLEITZEIT_PYTHON"));
        Assert.That(result.StdOut, Does.Match(@"persistence\.backend\s+sqlite\s+file "));
        Assert.That(result.StdOut, Does.Match(@"providers\.ollama\.max_concurrency\s+4\s+default"));
    }

    [Test]
    public async Task Config_flag_names_the_file_and_wins_over_the_environment_variable()
    {
        var other = Path.Combine(_cli.Home, "other.yaml");
        File.WriteAllText(other, "providers:\n  ollama:\n    vision_model: moondream\n");

        var result = await _cli.RunAsync("config", "--config", other, "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var json = result.Json();
        Assert.That((string)json["config_file"]!, Is.EqualTo(other));
        Assert.That((string)json["config_file_source"]!, Is.EqualTo("--config"));
        Assert.That((string)json["values"]!["providers.ollama.vision_model"]!["value"]!, Is.EqualTo("moondream"));
    }

    [Test]
    public async Task Default_config_file_is_read_from_home()
    {
        _cli.Environment["GLEITZEIT_CONFIG"] = null;
        Directory.CreateDirectory(Path.Combine(_cli.Home, ".gleitzeit"));
        File.WriteAllText(Path.Combine(_cli.Home, ".gleitzeit", "config.yaml"), "batch: { max_concurrent: 9 }\n");

        var result = await _cli.RunAsync("config", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var json = result.Json();
        Assert.That((string)json["config_file"]!, Is.EqualTo(Path.Combine(_cli.Home, ".gleitzeit", "config.yaml")));
        Assert.That((string)json["config_file_source"]!, Is.EqualTo("default"));
        Assert.That((string)json["values"]!["batch.max_concurrent"]!["value"]!, Is.EqualTo("9"));
    }

    [Test]
    public async Task Mcp_servers_come_from_the_file_and_from_GLEITZEIT_MCP_SERVER_PATH()
    {
        _cli.WriteConfig("""
            providers:
              mcp:
                servers:
                  everything: { command: node, args: [server.js, stdio], env: { DEBUG: "1" } }
            """);
        _cli.Environment["GLEITZEIT_MCP_SERVER_PATH"] = "/opt/tools/server.py";

        var result = await _cli.RunAsync("config", "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var servers = result.Json()["mcp_servers"]!;
        Assert.That((string)servers["everything"]!["command"]!, Is.EqualTo("node"));
        Assert.That(servers["everything"]!["args"]!.AsArray().Select(a => (string)a!), Is.EqualTo(new[] { "server.js", "stdio" }));
        Assert.That((string)servers["everything"]!["env"]!["DEBUG"]!, Is.EqualTo("1"));
        Assert.That((string)servers["default"]!["command"]!, Is.EqualTo("python3"));
        Assert.That((string)servers["default"]!["args"]![0]!, Is.EqualTo("/opt/tools/server.py"));
        Assert.That((string)servers["default"]!["source"]!, Is.EqualTo("env GLEITZEIT_MCP_SERVER_PATH"));
    }

    [Test]
    public async Task Unknown_key_in_the_file_exits_2_with_line_column_and_a_suggestion()
    {
        _cli.WriteConfig("providers:\n  ollama:\n    ulr: http://x\n");

        var result = await _cli.RunAsync("config");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain(_cli.ConfigFile + ":3:5").And.Contain("providers.ollama.ulr").And.Contain("providers.ollama.url"));
    }

    [Test]
    public async Task Bad_value_in_the_environment_exits_2_naming_the_variable()
    {
        _cli.Environment["GLEITZEIT_PERSISTENCE_BACKEND"] = "postgres";

        var result = await _cli.RunAsync("config");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain("GLEITZEIT_PERSISTENCE_BACKEND").And.Contain("sqlite, redis, memory"));
    }

    [Test]
    public async Task Bad_number_in_the_file_exits_2_with_its_position()
    {
        _cli.WriteConfig("execution:\n  max_concurrent_tasks: lots\n");

        var result = await _cli.RunAsync("config");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain(":2:25").And.Contain("execution.max_concurrent_tasks"));
    }

    [Test]
    public async Task Broken_yaml_exits_2_with_its_position()
    {
        _cli.WriteConfig("persistence:\n  backend: [memory\n");

        var result = await _cli.RunAsync("config");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain(_cli.ConfigFile + ":"));
    }

    [Test]
    public async Task A_config_file_named_but_missing_exits_3()
    {
        _cli.Environment["GLEITZEIT_CONFIG"] = Path.Combine(_cli.Home, "nope.yaml");

        var result = await _cli.RunAsync("config");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.StdErr, Does.Contain(Path.Combine(_cli.Home, "nope.yaml")).And.Contain("GLEITZEIT_CONFIG"));
    }

    [TestCase("flow")]
    [TestCase("mapping")]
    public async Task A_config_nested_50000_levels_deep_is_a_located_error_not_a_crash(string style)
    {
        const int levels = 50_000;
        File.WriteAllText(_cli.ConfigFile, style == "flow"
            ? "providers: " + new string('[', levels) + new string(']', levels) + "\n"
            : "providers: " + string.Concat(Enumerable.Repeat("{a: ", levels)) + "1" + new string('}', levels) + "\n");

        var result = await _cli.RunAsync("config");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Match(System.Text.RegularExpressions.Regex.Escape(_cli.ConfigFile) + @":1:\d+: the configuration is nested more than \d+ levels deep"));
        Assert.That(result.StdErr, Does.Not.Contain("Stack overflow").And.Not.Contain("   at "));
    }

    [Test]
    public async Task A_section_given_a_plain_value_is_reported_as_a_wrong_type_not_an_unknown_key()
    {
        _cli.WriteConfig("persistence: sqlite\n");

        var result = await _cli.RunAsync("config");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain($"{_cli.ConfigFile}:1:14: 'persistence' is a section and must be a mapping of keys (such as backend:), not the value 'sqlite'"));
        Assert.That(result.StdErr, Does.Not.Contain("unknown configuration key"));
    }

    [Test]
    public async Task An_mcp_server_with_a_list_for_env_is_a_located_type_error()
    {
        _cli.WriteConfig("providers:\n  mcp:\n    servers:\n      calc: { command: node, env: [A, B] }\n");

        var result = await _cli.RunAsync("config");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StdErr, Does.Contain($"{_cli.ConfigFile}:4:").And.Contain("env must be a mapping, not a list"));
    }
}
