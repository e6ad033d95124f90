using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;

namespace Gleitzeit.Providers.Mcp.Tests;

/// <summary>Tool calls against real servers: our test server, server-everything and server-filesystem, all in one provider.</summary>
[TestFixture]
public sealed class ToolCallTests
{
    private McpProvider _provider = null!;
    private string _directory = null!;

    [OneTimeSetUp]
    public void StartServers()
    {
        _directory = Directory.CreateTempSubdirectory("gleitzeit-mcp-").FullName;
        File.WriteAllText(Path.Combine(_directory, "note.txt"), "hello from a file");
        var options = new McpOptions();
        options.Servers["test"] = TestServers.Ours();
        options.Servers["everything"] = TestServers.Everything();
        options.Servers["files"] = TestServers.Filesystem(_directory);
        _provider = new McpProvider(options);
    }

    [OneTimeTearDown]
    public async Task StopServers()
    {
        await _provider.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<JsonObject> CallAsync(string method, JsonObject? parameters = null, string? provider = null) =>
        (JsonObject)(await _provider.ExecuteAsync(TestServers.Invocation(method, parameters, provider), CancellationToken.None))!;

    private async Task<GleitzeitException> FailAsync(string method, JsonObject? parameters = null, string? provider = null)
    {
        try
        {
            await _provider.ExecuteAsync(TestServers.Invocation(method, parameters, provider), CancellationToken.None);
        }
        catch (GleitzeitException ex)
        {
            return ex;
        }
        Assert.Fail($"{method} was expected to fail");
        throw new InvalidOperationException();
    }

    [Test]
    public async Task Echo_returns_the_message_as_response_and_result()
    {
        var result = await CallAsync("mcp/tool.echo", new JsonObject { ["message"] = "Hello from MCP workflow!" }, provider: "test");

        Assert.That((string?)result["response"], Is.EqualTo("Hello from MCP workflow!"));
        Assert.That((string?)result["result"], Is.EqualTo("Hello from MCP workflow!"));
        Assert.That((bool?)result["is_error"], Is.False);
        Assert.That(result["content"]!.ToJsonString(), Is.EqualTo("""[{"type":"text","text":"Hello from MCP workflow!"}]"""));
        Assert.That((string?)result["server"], Is.EqualTo("test"));
    }

    [Test]
    public async Task Add_result_is_a_number()
    {
        var result = await CallAsync("tool.add", new JsonObject { ["a"] = 100, ["b"] = 23 });

        Assert.That((string?)result["response"], Is.EqualTo("123"));
        Assert.That(result["result"]!.GetValueKind(), Is.EqualTo(JsonValueKind.Number));
        Assert.That((double)result["result"]!, Is.EqualTo(123));
    }

    [Test]
    public async Task Concat_joins_strings_with_the_separator()
    {
        var result = await CallAsync("mcp/tool.concat", new JsonObject { ["strings"] = new JsonArray("a", "b", "c"), ["separator"] = " | " });

        Assert.That((string?)result["response"], Is.EqualTo("a | b | c"));
    }

    [Test]
    public async Task Server_everything_echo_and_sum()
    {
        var echo = await CallAsync("tool.echo", new JsonObject { ["message"] = "hi" }, provider: "everything");
        var sum = await CallAsync("tool.get-sum", new JsonObject { ["a"] = 2, ["b"] = 3 });

        Assert.That((string?)echo["response"], Is.EqualTo("Echo: hi"));
        Assert.That((string?)sum["response"], Does.Contain("is 5"));
        Assert.That((string?)sum["server"], Is.EqualTo("everything"));
    }

    [Test]
    public async Task Structured_content_is_returned_as_structured()
    {
        var result = await CallAsync("tool.get-structured-content", new JsonObject { ["location"] = "Chicago" });

        Assert.That(result["structured"], Is.InstanceOf<JsonObject>());
        Assert.That((double)result["structured"]!["temperature"]!, Is.EqualTo(36));
        // The text block holds the same JSON, so result is that object too.
        Assert.That((string?)result["result"]!["conditions"], Is.EqualTo("Light rain / drizzle"));
    }

    [Test]
    public async Task Image_blocks_are_kept_in_content()
    {
        var result = await CallAsync("tool.get-tiny-image");

        var image = result["content"]!.AsArray().Single(b => (string?)b!["type"] == "image")!;
        Assert.That((string?)image["mimeType"], Is.EqualTo("image/png"));
        Assert.That(Convert.FromBase64String((string)image["data"]!), Has.Length.GreaterThan(8));
    }

    [Test]
    public async Task Filesystem_server_reads_a_file()
    {
        var result = await CallAsync("tool.read_text_file", new JsonObject { ["path"] = Path.Combine(_directory, "note.txt") }, provider: "files");

        Assert.That((string?)result["response"], Does.Contain("hello from a file"));
    }

    [Test]
    public async Task Same_tool_on_two_servers_without_a_choice_is_a_clear_error()
    {
        var error = await FailAsync("tool.echo", new JsonObject { ["message"] = "x" });

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.Message, Does.Contain("'echo'").And.Contain("test").And.Contain("everything").And.Contain("provider"));
    }

    [Test]
    public async Task Server_parameter_picks_the_server_and_is_not_passed_to_the_tool()
    {
        var result = await CallAsync("tool.echo", new JsonObject { ["message"] = "x", ["server"] = "test" });

        Assert.That((string?)result["response"], Is.EqualTo("x"));
        Assert.That((string?)result["server"], Is.EqualTo("test"));
    }

    [Test]
    public async Task Unknown_server_names_the_configured_ones()
    {
        var error = await FailAsync("tool.echo", new JsonObject { ["message"] = "x" }, provider: "nope");

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotFound));
        Assert.That(error.Message, Does.Contain("'nope'").And.Contain("test, everything, files"));
    }

    [TestCase("tool.add")]
    [TestCase("tool.echo")]
    [TestCase("mcp/ping")]
    public async Task A_server_parameter_naming_no_server_is_a_clear_error(string method)
    {
        var error = await FailAsync(method, new JsonObject { ["a"] = 1, ["b"] = 2, ["message"] = "m", ["server"] = "tset" });

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotFound));
        Assert.That(error.Message, Does.Contain("'tset'").And.Contain("configured: test, everything, files"));
    }

    [Test]
    public async Task Unknown_tool_is_method_not_found_listing_the_tools()
    {
        var error = await FailAsync("tool.divide", new JsonObject { ["a"] = 1 }, provider: "test");

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.MethodNotFound));
        Assert.That(error.Message, Does.Contain("'divide'").And.Contain("add").And.Contain("multiply").And.Contain("concat"));
    }

    [Test]
    public async Task Unknown_tool_on_no_server_lists_tools_by_server()
    {
        var error = await FailAsync("tool.divide");

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.MethodNotFound));
        Assert.That(error.Message, Does.Contain("test: ").And.Contain("everything: ").And.Contain("get-sum"));
    }

    [Test]
    public async Task Wrong_argument_types_are_rejected_before_the_call_one_message_each()
    {
        var error = await FailAsync("tool.add", new JsonObject { ["a"] = "abc" }, provider: "test");

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(error.IsRetryable, Is.False);
        Assert.That(error.Message, Does.Contain("argument 'a' must be a number, got a string (\"abc\")"));
        Assert.That(error.Message, Does.Contain("missing required argument 'b' (a number)"));
    }

    [Test]
    public async Task List_items_are_checked_too()
    {
        var error = await FailAsync("tool.concat", new JsonObject { ["strings"] = new JsonArray("a", 2) }, provider: "test");

        Assert.That(error.Message, Does.Contain("argument 'strings[1]' must be a string, got a number (2)"));
    }

    [Test]
    public async Task Enum_arguments_are_checked()
    {
        var error = await FailAsync("tool.get-structured-content", new JsonObject { ["location"] = "Paris" });

        Assert.That(error.Message, Does.Contain("argument 'location' must be one of \"New York\", \"Chicago\", \"Los Angeles\""));
    }

    [Test]
    public async Task A_tool_error_fails_the_task_with_the_servers_message()
    {
        var error = await FailAsync("tool.fail", new JsonObject { ["message"] = "disk is full" }, provider: "test");

        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That(error.IsRetryable, Is.False);
        Assert.That(error.Message, Does.Contain("disk is full").And.Contain("'fail'").And.Contain("'test'"));
        Assert.That((bool?)error.ErrorData!["is_error"], Is.True);
    }

    [Test]
    public async Task Ping_tools_list_and_server_info()
    {
        var ping = await CallAsync("mcp/ping", provider: "test");
        var tools = await CallAsync("mcp/tools/list", provider: "test");
        var info = await CallAsync("mcp/server_info", new JsonObject { ["server"] = "test" });
        var all = await CallAsync("mcp/tools/list");

        Assert.That((string?)ping["status"], Is.EqualTo("ok"));
        Assert.That(tools["tools"]!.AsArray().Select(t => (string?)t!["name"]), Is.SupersetOf(new[] { "add", "concat", "echo", "multiply" }));
        Assert.That((string?)info["name"], Is.EqualTo("gleitzeit-test-server"));
        Assert.That((string?)info["version"], Is.EqualTo("1.0.0"));
        Assert.That(all["tools"]!.AsArray().Select(t => (string?)t!["server"]).Distinct(), Is.EquivalentTo(new[] { "test", "everything", "files" }));
    }

    [Test]
    public async Task Health_pings_every_server()
    {
        var health = await _provider.CheckHealthAsync(CancellationToken.None);

        Assert.That(health.Status, Is.EqualTo(Core.Protocol.ProviderHealthStatus.Healthy), health.Message);
        Assert.That(health.Details!["servers"]!.AsObject().Select(s => s.Key), Is.EquivalentTo(new[] { "test", "everything", "files" }));
    }

    [Test]
    public async Task ListServers_shows_each_server_with_its_tools()
    {
        var servers = await _provider.ListServersAsync();

        var test = servers.Single(s => s.Name == "test");
        Assert.That(test.Reachable, Is.True);
        Assert.That(test.Transport, Does.StartWith("stdio: "));
        Assert.That(test.Tools.Select(t => t.Name), Is.SupersetOf(new[] { "add", "echo" }));
        Assert.That(test.Tools.Single(t => t.Name == "add").InputSchema["required"]!.ToJsonString(), Is.EqualTo("""["a","b"]"""));
    }
}
