using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Gleitzeit.Cli.Tests;

/// <summary><c>gleitzeit mcp serve</c> driven by clients we did not write: the MCP SDK's client and the npm inspector CLI.</summary>
public sealed partial class McpServeTests
{
    private const string Stats = """
        name: stats
        description: Mean of a list of numbers.
        inputs:
          numbers: [1, 2, 3, 4]
          label: "numbers"
          scale: 1.5
          limit: 10
        tasks:
          - id: mean
            method: python/execute
            parameters:
              code: "result = sum(numbers) / len(numbers) * scale"
              context: { numbers: "${inputs.numbers}", scale: "${inputs.scale}" }
          - id: report
            method: python/execute
            dependencies: [mean]
            parameters:
              code: "result = label + ': ' + str(m)"
              context: { m: "${mean.result}", label: "${inputs.label}" }
        """;

    private const string Slow = """
        name: slow
        tasks:
          - id: quick
            method: python/execute
            parameters: { code: "result = 1" }
          - id: sleepy
            method: python/execute
            dependencies: [quick]
            parameters: { code: "import time\ntime.sleep(120)\nresult = 2", timeout: 300 }
        """;

    private CliProcess _cli = null!;
    private string _flows = null!;

    [SetUp]
    public void SetUp()
    {
        _cli = new CliProcess();
        _cli.WriteFile("flows/stats.yaml", Stats);
        _cli.WriteFile("flows/slow.yml", Slow);
        _cli.WriteFile("flows/broken.yaml", "name: broken\ntasks:\n  - id: a\n    method: python/execute\n    dependencies: [ghost]\n    parameters: { code: 'result = 1' }\n");
        _flows = Path.Combine(_cli.WorkDirectory, "flows");
    }

    [TearDown]
    public void TearDown() => _cli.Dispose();

    private Dictionary<string, string?> Environment() => new()
    {
        ["HOME"] = _cli.Home,
        ["GLEITZEIT_CONFIG"] = _cli.ConfigFile,
        ["DOTNET_NOLOGO"] = "1",
    };

    private async Task<(McpClient Client, List<string> Stderr)> ConnectStdioAsync()
    {
        var stderr = new List<string>();
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "gleitzeit",
            Command = "dotnet",
            Arguments = [CliProcess.Dll, "mcp", "serve", _flows],
            WorkingDirectory = _cli.WorkDirectory,
            EnvironmentVariables = Environment(),
            StandardErrorLines = line => { lock (stderr) stderr.Add(line); },
        });
        return (await McpClient.CreateAsync(transport), stderr);
    }

    [Test]
    public async Task The_tools_are_the_workflow_files_with_input_schemas_from_their_inputs()
    {
        var (client, stderr) = await ConnectStdioAsync();
        await using var _ = client;

        var tools = await client.ListToolsAsync();

        Assert.That(tools.Select(t => t.Name), Is.EquivalentTo(new[] { "stats", "slow" }), "the invalid file is left out");
        var stats = tools.Single(t => t.Name == "stats");
        Assert.That(stats.Description, Does.StartWith("Mean of a list of numbers."));
        var properties = JsonNode.Parse(stats.JsonSchema.GetRawText())!["properties"]!;
        Assert.That((string)properties["numbers"]!["type"]!, Is.EqualTo("array"));
        Assert.That((string)properties["label"]!["type"]!, Is.EqualTo("string"));
        Assert.That((string)properties["scale"]!["type"]!, Is.EqualTo("number"));
        Assert.That((string)properties["limit"]!["type"]!, Is.EqualTo("integer"));
        Assert.That((string)properties["label"]!["default"]!, Is.EqualTo("numbers"));
        lock (stderr) Assert.That(string.Join("\n", stderr), Does.Contain("broken.yaml: not offered, it does not validate"));
    }

    [Test]
    public async Task A_call_runs_the_workflow_reports_progress_and_answers_with_the_run()
    {
        var (client, _) = await ConnectStdioAsync();
        await using var _ = client;
        var progress = new List<ProgressNotificationValue>();

        var result = await client.CallToolAsync("stats", new Dictionary<string, object?> { ["numbers"] = new[] { 2, 4 }, ["label"] = "avg" },
            new SynchronousProgress(p => { lock (progress) progress.Add(p); }));

        Assert.That(result.IsError, Is.Not.True, JsonSerializer.Serialize(result));
        var run = JsonNode.Parse(result.StructuredContent!.Value.GetRawText())!;
        Assert.That((string)run["status"]!, Is.EqualTo("completed"));
        Assert.That((string)run["tasks"]!["report"]!["result"]!["result"]!, Is.EqualTo("avg: 4.5"));
        Assert.That(((TextContentBlock)result.Content[0]).Text, Does.Contain("avg: 4.5"));
        lock (progress)
        {
            // The server sends them in order; the SDK client may hand notifications to the callback on different threads, so
            // their arrival order is not the sending order: each step exactly once, the last step named.
            Assert.That(progress.Select(p => p.Progress), Is.EquivalentTo(new[] { 1f, 2f }));
            Assert.That(progress.Select(p => p.Total), Is.All.EqualTo(2f));
            Assert.That(progress.Single(p => p.Progress == 2f).Message, Is.EqualTo("report completed"));
        }
    }

    [Test]
    public async Task A_workflow_that_declares_outputs_answers_with_its_outputs()
    {
        _cli.WriteFile("flows/summary.yaml", """
            name: summary
            inputs:
              numbers: [1, 2, 3]
            outputs:
              mean: "${mean.result}"
              count: "${count.result}"
            tasks:
              - id: mean
                method: python/execute
                parameters:
                  code: "result = sum(numbers) / len(numbers)"
                  context: { numbers: "${inputs.numbers}" }
              - id: count
                method: python/execute
                parameters:
                  code: "result = len(numbers)"
                  context: { numbers: "${inputs.numbers}" }
            """);
        var (client, _) = await ConnectStdioAsync();
        await using var _ = client;

        var result = await client.CallToolAsync("summary", new Dictionary<string, object?> { ["numbers"] = new[] { 2, 4, 9 } });

        Assert.That(result.IsError, Is.Not.True, JsonSerializer.Serialize(result));
        var outputs = JsonNode.Parse(result.StructuredContent!.Value.GetRawText())!.AsObject();
        Assert.That(outputs.Select(kv => kv.Key), Is.EquivalentTo(new[] { "mean", "count" }), "the outputs only, not the run's --json object");
        Assert.That((double)outputs["mean"]!, Is.EqualTo(5.0));
        Assert.That((int)outputs["count"]!, Is.EqualTo(3));
        Assert.That(JsonNode.Parse(((TextContentBlock)result.Content[0]).Text)!["count"]!.GetValue<int>(), Is.EqualTo(3));
    }

    [Test]
    public async Task A_failed_run_of_a_workflow_with_outputs_answers_with_its_json_object_as_an_error()
    {
        _cli.WriteFile("flows/fails.yaml", """
            name: fails
            outputs:
              answer: "${boom.result}"
            tasks:
              - id: boom
                method: python/execute
                parameters: { code: "raise ValueError('no answer today')" }
            """);
        var (client, _) = await ConnectStdioAsync();
        await using var _ = client;

        var result = await client.CallToolAsync("fails");

        Assert.That(result.IsError, Is.True);
        var run = JsonNode.Parse(result.StructuredContent!.Value.GetRawText())!;
        Assert.That((string)run["status"]!, Is.EqualTo("failed"));
        Assert.That(run["tasks"]!["boom"], Is.Not.Null, "the --json object, whose error says what went wrong");
    }

    [TestCase("nope", "1", "'stats' has no input 'nope': its inputs are numbers, label, scale, limit.")]
    [TestCase("label", "3", "Input 'label' of 'stats' must be string, not number.")]
    public async Task A_bad_argument_is_an_error_result_naming_it(string name, string json, string message)
    {
        var (client, _) = await ConnectStdioAsync();
        await using var _ = client;

        var result = await client.CallToolAsync("stats", new Dictionary<string, object?> { [name] = JsonDocument.Parse(json).RootElement });

        Assert.That(result.IsError, Is.True);
        Assert.That(((TextContentBlock)result.Content[0]).Text, Is.EqualTo(message));
    }

    [Test]
    public async Task Cancelling_the_call_cancels_the_run()
    {
        var (client, _) = await ConnectStdioAsync();
        await using var _ = client;
        using var cancel = new CancellationTokenSource();
        var call = client.CallToolAsync("slow", progress: new SynchronousProgress(p =>
        {
            if (p.Message == "quick completed") cancel.Cancel();
        }), cancellationToken: cancel.Token).AsTask();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        JsonNode? cancelled = null;
        for (var i = 0; i < 300 && cancelled is null; i++)
        {
            var list = await _cli.RunAsync("workflow", "list", "--status", "cancelled", "--json");
            cancelled = list.Json()["runs"]!.AsArray().FirstOrDefault(r => (string)r!["name"]! == "slow");
            if (cancelled is null) await Task.Delay(100);
        }

        Assert.That(cancelled, Is.Not.Null, "the run was cancelled in the store");
    }

    [Test]
    public async Task Over_http_the_sdk_client_lists_and_calls_the_tools()
    {
        using var server = _cli.Start("mcp", "serve", _flows, "--http", "0");
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var line = await server.StandardOutput.ReadLineAsync(limit.Token) ?? throw new AssertionException(await server.StandardError.ReadToEndAsync());
            var url = HttpUrl().Match(line).Value;
            await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(url) }));

            var tools = await client.ListToolsAsync();
            var result = await client.CallToolAsync("stats", new Dictionary<string, object?> { ["label"] = "mean" });

            Assert.That(url, Does.StartWith("http://127.0.0.1:").And.EndWith("/mcp"));
            Assert.That(tools.Select(t => t.Name), Is.EquivalentTo(new[] { "stats", "slow" }));
            Assert.That((string)JsonNode.Parse(result.StructuredContent!.Value.GetRawText())!["tasks"]!["report"]!["result"]!["result"]!, Is.EqualTo("mean: 3.75"));
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }

    [Test]
    public async Task The_npm_inspector_cli_lists_and_calls_the_tools()
    {
        var inspector = InspectorCli();
        var list = await RunInspectorAsync(inspector, "--method", "tools/list");
        var call = await RunInspectorAsync(inspector, "--method", "tools/call", "--tool-name", "stats", "--tool-arg", "numbers=[3,5]", "--tool-arg", "label=inspected");

        Assert.That(JsonNode.Parse(list)!["tools"]!.AsArray().Select(t => (string)t!["name"]!), Is.EquivalentTo(new[] { "stats", "slow" }));
        var result = JsonNode.Parse(call)!;
        Assert.That((bool)result["isError"]!, Is.False);
        Assert.That((string)result["structuredContent"]!["tasks"]!["report"]!["result"]!["result"]!, Is.EqualTo("inspected: 6.0"));
    }

    /// <summary>The inspector's entry script; the test is skipped (with the reason) when npm ci has not installed it.</summary>
    private static string InspectorCli()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var cli = Path.Combine(dir.FullName, "node_modules", "@modelcontextprotocol", "inspector-cli", "build", "cli.js");
            if (File.Exists(cli)) return cli;
            if (File.Exists(Path.Combine(dir.FullName, "package.json"))) break;
        }
        Assert.Ignore("@modelcontextprotocol/inspector-cli is not installed: run 'npm ci' at the repository root.");
        return "";
    }

    private async Task<string> RunInspectorAsync(string cli, params string[] args)
    {
        var start = new ProcessStartInfo("node")
        {
            // The inspector reads its own package.json relative to the working directory: run it from its build folder.
            WorkingDirectory = Path.GetDirectoryName(cli)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { cli, "--cli", "dotnet", CliProcess.Dll, "mcp", "serve", _flows }.Concat(args)) start.ArgumentList.Add(a);
        foreach (var (k, v) in Environment()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        var text = await stdout;
        Assert.That(process.ExitCode, Is.EqualTo(0), text + await stderr);
        // The inspector prints a deprecation banner before the JSON document.
        return text[text.IndexOf('{', StringComparison.Ordinal)..];
    }

    /// <summary>Reports on the calling thread, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }

    [GeneratedRegex(@"http://\S+/mcp")]
    private static partial Regex HttpUrl();
}
