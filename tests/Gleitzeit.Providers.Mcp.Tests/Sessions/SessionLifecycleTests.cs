using System.Text.Json.Nodes;
using Gleitzeit.Core;

namespace Gleitzeit.Providers.Mcp.Tests.Sessions;

/// <summary>Starting, losing, restarting and stopping server processes.</summary>
[TestFixture]
public sealed class SessionLifecycleTests
{
    private readonly List<McpProvider> _providers = [];

    [TearDown]
    public async Task DisposeProviders()
    {
        foreach (var p in _providers) await p.DisposeAsync();
        _providers.Clear();
    }

    private McpProvider Provider(Action<McpOptions> configure)
    {
        var options = new McpOptions();
        configure(options);
        var provider = new McpProvider(options);
        _providers.Add(provider);
        return provider;
    }

    private static async Task<JsonObject> CallAsync(McpProvider provider, string method, JsonObject? parameters = null) =>
        (JsonObject)(await provider.ExecuteAsync(TestServers.Invocation(method, parameters), CancellationToken.None))!;

    private static async Task<GleitzeitException> FailAsync(McpProvider provider, string method, JsonObject? parameters = null)
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await provider.ExecuteAsync(TestServers.Invocation(method, parameters), CancellationToken.None));
        return ex!;
    }

    [Test]
    public async Task Server_starts_lazily_and_one_process_serves_every_call()
    {
        var provider = Provider(o => o.Servers["test"] = TestServers.Ours());

        var first = await CallAsync(provider, "tool.pid");
        var calls = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => CallAsync(provider, "tool.pid")));

        Assert.That(calls.Select(c => (int)c["result"]!).Distinct(), Is.EqualTo(new[] { (int)first["result"]! }));
    }

    [Test]
    public async Task Calls_in_flight_on_a_server_never_exceed_its_MaxConcurrency()
    {
        var options = TestServers.Ours();
        options.MaxConcurrency = 2;
        var provider = Provider(o => o.Servers["test"] = options);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => CallAsync(provider, "tool.slow", new JsonObject { ["milliseconds"] = 100 })));
        var max = (int)(await CallAsync(provider, "tool.max_in_flight"))["result"]!;

        Assert.That(max, Is.InRange(1, 2));
    }

    [Test]
    public async Task A_crash_fails_the_call_retryably_and_the_next_call_starts_the_server_again()
    {
        var provider = Provider(o => o.Servers["test"] = TestServers.Ours());
        var before = (int)(await CallAsync(provider, "tool.pid"))["result"]!;

        var error = await FailAsync(provider, "tool.crash");
        var after = (int)(await CallAsync(provider, "tool.pid"))["result"]!;

        Assert.That(error.IsRetryable, Is.True, error.ToString());
        Assert.That(error.Code, Is.AnyOf(GleitzeitErrorCode.NetworkConnectionLost, GleitzeitErrorCode.ProviderNotAvailable));
        Assert.That(error.Message, Does.Contain("'test'"));
        Assert.That(after, Is.Not.EqualTo(before));
        Assert.That(await TestServers.HasExitedAsync(before), Is.True);
    }

    [Test]
    public async Task A_missing_command_is_a_clear_error_naming_it()
    {
        var provider = Provider(o => o.Servers["tools"] = new McpServerOptions { Command = "gleitzeit-no-such-mcp-server", Arguments = ["--stdio"] });

        var error = await FailAsync(provider, "tool.echo", new JsonObject { ["message"] = "x" });

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotAvailable));
        Assert.That(error.Message, Does.Contain("'gleitzeit-no-such-mcp-server'").And.Contain("not found").And.Contain("'tools'"));
    }

    [Test]
    public async Task A_missing_script_path_is_a_clear_error_naming_it()
    {
        var provider = Provider(o => o.Servers["tools"] = new McpServerOptions { Command = "/nonexistent/dir/server.sh" });

        var error = await FailAsync(provider, "mcp/ping");

        Assert.That(error.Message, Does.Contain("/nonexistent/dir/server.sh").And.Contain("no such file"));
    }

    [Test]
    public async Task A_server_that_exits_at_start_reports_its_stderr()
    {
        var provider = Provider(o => o.Servers["broken"] = new McpServerOptions
        {
            Command = "python3",
            Arguments = ["-c", "import sys; sys.stderr.write('missing API key\\n'); sys.exit(2)"],
        });

        var error = await FailAsync(provider, "tool.anything");

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotAvailable));
        Assert.That(error.Message, Does.Contain("'broken'").And.Contain("missing API key"));
    }

    [Test]
    public async Task An_http_server_that_is_not_there_is_a_retryable_clear_error()
    {
        var provider = Provider(o => o.Servers["web"] = new McpServerOptions { Endpoint = new Uri("http://127.0.0.1:1/mcp") });

        var error = await FailAsync(provider, "tool.echo", new JsonObject { ["message"] = "x" });

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotAvailable));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(error.Message, Does.Contain("'web'").And.Contain("http://127.0.0.1:1/mcp"));
    }

    [Test]
    public async Task Dispose_stops_the_server_process()
    {
        var provider = Provider(o => o.Servers["test"] = TestServers.Ours());
        var pid = (int)(await CallAsync(provider, "tool.pid"))["result"]!;

        await provider.DisposeAsync();

        Assert.That(await TestServers.HasExitedAsync(pid), Is.True, $"server process {pid} still runs after DisposeAsync");
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await provider.ExecuteAsync(TestServers.Invocation("tool.pid"), CancellationToken.None));
    }

    [Test]
    public async Task Environment_and_working_directory_reach_the_server()
    {
        var dir = Directory.CreateTempSubdirectory("gleitzeit-mcp-cwd-").FullName;
        try
        {
            var options = TestServers.Ours();
            options.Environment["GLEITZEIT_TEST_VALUE"] = "42";
            options.WorkingDirectory = dir;
            var provider = Provider(o => o.Servers["test"] = options);

            var env = await CallAsync(provider, "tool.env", new JsonObject { ["name"] = "GLEITZEIT_TEST_VALUE" });
            var cwd = await CallAsync(provider, "tool.cwd");

            Assert.That((string?)env["response"], Is.EqualTo("42"));
            Assert.That(Path.GetFullPath((string)cwd["response"]!), Is.EqualTo(Path.GetFullPath(dir)));
        }
        finally
        {
            await DisposeProviders();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task A_tool_added_at_run_time_can_be_called()
    {
        var provider = Provider(o => o.Servers["test"] = TestServers.Ours());
        var before = await CallAsync(provider, "mcp/tools/list");
        Assert.That(before["tools"]!.AsArray().Select(t => (string?)t!["name"]), Does.Not.Contain("greet"));

        await CallAsync(provider, "tool.add_tool", new JsonObject { ["name"] = "greet" });
        var greeting = await CallAsync(provider, "tool.greet", new JsonObject { ["message"] = "hi" });
        var after = await CallAsync(provider, "mcp/tools/list");

        Assert.That((string?)greeting["response"], Is.EqualTo("greet: hi"));
        Assert.That(after["tools"]!.AsArray().Select(t => (string?)t!["name"]), Does.Contain("greet"));
    }

    [Test]
    public async Task A_call_over_its_call_timeout_is_a_retryable_provider_timeout()
    {
        var options = TestServers.Ours();
        options.CallTimeout = TimeSpan.FromMilliseconds(200);
        var provider = Provider(o => o.Servers["test"] = options);

        var error = await FailAsync(provider, "tool.slow", new JsonObject { ["milliseconds"] = 60_000 });

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderTimeout));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That((string?)(await CallAsync(provider, "tool.echo", new JsonObject { ["message"] = "still here" }))["response"], Is.EqualTo("still here"));
    }

    [Test]
    public void Invalid_options_are_refused_with_one_message_per_problem()
    {
        var options = new McpOptions();
        options.Servers["both"] = new McpServerOptions { Command = "node", Endpoint = new Uri("http://127.0.0.1:1/mcp") };
        options.Servers["neither"] = new McpServerOptions();
        options.Servers["zero"] = new McpServerOptions { Command = "node", MaxConcurrency = 0 };
        options.Servers["ftp"] = new McpServerOptions { Endpoint = new Uri("ftp://example.com/") };

        var ex = Assert.Throws<ArgumentException>(() => _ = new McpProvider(options))!;

        Assert.That(ex.Message, Does.Contain("Servers[\"both\"]: set exactly one of Command").And.Contain("Servers[\"neither\"]: set exactly one")
            .And.Contain("Servers[\"zero\"].MaxConcurrency is 0").And.Contain("'ftp://example.com/' must be an absolute http://"));
    }

    [Test]
    public void ForScript_picks_the_interpreter_by_extension()
    {
        Assert.That(McpServerOptions.ForScript("server.js").Command, Is.EqualTo("node"));
        Assert.That(McpServerOptions.ForScript("server.py").Command, Is.EqualTo("python3"));
        Assert.That(McpServerOptions.ForScript("server.py").Arguments, Is.EqualTo(new[] { Path.GetFullPath("server.py") }));
        Assert.That(McpServerOptions.ForScript("/opt/mcp/server").Command, Is.EqualTo("/opt/mcp/server"));
    }
}
