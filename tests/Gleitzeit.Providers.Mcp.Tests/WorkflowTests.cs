using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Providers.Mcp.Tests;

/// <summary>MCP tasks run through the ExecutionEngine: the original examples, a server killed mid-workflow, registration.</summary>
[TestFixture]
public sealed class WorkflowTests
{
    private McpProvider _provider = null!;
    private ProviderRegistry _registry = null!;
    private ExecutionEngine _engine = null!;

    [SetUp]
    public void CreateEngine()
    {
        var options = new McpOptions();
        options.Servers["test"] = TestServers.Ours();
        _provider = new McpProvider(options);
        _registry = new ProviderRegistry();
        _registry.Register(_provider);
        _registry.Register(new DelegateProvider("proc/v1", KillAsync, "proc/kill"));
        _engine = new ExecutionEngine(_registry);
    }

    [TearDown]
    public async Task DisposeEngine()
    {
        await _engine.DisposeAsync();
        await _provider.DisposeAsync();
    }

    /// <summary>Kills the process whose id is the parameter <c>pid</c> and waits until it is gone.</summary>
    private static async ValueTask<JsonNode?> KillAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        var pid = (int)invocation.Parameters["pid"]!;
        using var process = Process.GetProcessById(pid);
        process.Kill();
        await process.WaitForExitAsync(cancellationToken);
        return new JsonObject { ["killed"] = pid };
    }

    private static void AssertCompleted(WorkflowRun run)
    {
        var failures = string.Join("; ", run.Tasks.Values.Where(t => t.Status != WorkflowTaskStatus.Completed).Select(t => $"{t.TaskId}: {t.Status} {t.Error}"));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), failures);
    }

    [Test]
    public async Task Mcp_workflow_built_in_code_runs_like_the_original()
    {
        var workflow = new WorkflowBuilder("MCP Test Workflow")
            .McpTool("echo_test", "echo", new { message = "Hello from MCP workflow!" })
            .McpTool("add_numbers", "add", new { a = 100, b = 23 }, dependsOn: ["echo_test"])
            .McpTool("multiply_result", "multiply", new { a = "${add_numbers.result}", b = 10 }, dependsOn: ["add_numbers"])
            .McpTool("final_concat", "concat", new JsonObject
            {
                ["strings"] = new JsonArray("Echo said: ${echo_test.response}", "Addition result: ${add_numbers.result}", "Final multiplication: ${multiply_result.result}"),
                ["separator"] = " | ",
            }, dependsOn: ["multiply_result"])
            .Build();

        var run = await _engine.RunAsync(workflow);

        AssertCompleted(run);
        Assert.That((double)run.GetResult("multiply_result")!["result"]!, Is.EqualTo(1230));
        Assert.That((string?)run.GetResult("final_concat")!["response"],
            Is.EqualTo("Echo said: Hello from MCP workflow! | Addition result: 123 | Final multiplication: 1230"));
    }

    [TestCase("examples/mcp_workflow.yaml", "final_concat", "Echo said: Hello from MCP workflow! | Addition result: 123 | Final multiplication: 1230")]
    [TestCase("examples/simple_mcp_workflow.yaml", "combine_results", "Hello from Simple MCP! | Sum was 100 | Product is 200")]
    public async Task Original_yaml_workflow_runs_unchanged(string file, string lastTask, string expected)
    {
        var path = Path.Combine(OriginalExamplesDirectory(), file);
        var workflow = WorkflowLoader.LoadFile(path, registry: _registry);

        var run = await _engine.RunAsync(workflow);

        AssertCompleted(run);
        Assert.That((string?)run.GetResult(lastTask)!["response"], Is.EqualTo(expected));
    }

    [Test]
    public async Task Fixture_with_every_mcp_method_form_runs()
    {
        var workflow = WorkflowLoader.LoadFile(Path.Combine(TestData.Fixtures, "mcp_forms.yaml"), registry: _registry);

        var run = await _engine.RunAsync(workflow);

        AssertCompleted(run);
        Assert.That(run.GetResult("tools")!.ToJsonString(), Does.Contain("\"multiply\""));
        Assert.That((string?)run.GetResult("joined")!["response"], Is.EqualTo("Hello from the fixtures | sum 42 | double 84 | server gleitzeit-test-server"));
    }

    [Test]
    public async Task Original_mcp_test_workflow_runs_unchanged()
    {
        var path = Path.Combine(OriginalExamplesDirectory(), "tests/mcp_test_workflow.yaml");
        var workflow = WorkflowLoader.LoadFile(path, registry: _registry);

        var run = await _engine.RunAsync(workflow);

        AssertCompleted(run);
        Assert.That((double)run.GetResult("test_math")!["result"]!, Is.EqualTo(30));
        Assert.That((string?)run.GetResult("server_info")!["name"], Is.EqualTo("gleitzeit-test-server"));
    }

    [Test]
    public async Task Simple_mcp_workflow_built_in_code_runs_like_the_original()
    {
        var workflow = new WorkflowBuilder("Simple MCP Workflow")
            .McpTool("echo_test", "echo", new { message = "Hello from Simple MCP!" })
            .McpTool("calculate_sum", "add", new { a = 42, b = 58 })
            .McpTool("calculate_product", "multiply", new { a = "${calculate_sum.result}", b = 2 }, dependsOn: ["calculate_sum"])
            .McpTool("combine_results", "concat", new JsonObject
            {
                ["strings"] = new JsonArray("${echo_test.response}", "Sum was ${calculate_sum.result}", "Product is ${calculate_product.result}"),
                ["separator"] = " | ",
            }, dependsOn: ["echo_test", "calculate_product"])
            .Build();

        var run = await _engine.RunAsync(workflow);

        AssertCompleted(run);
        Assert.That((string?)run.GetResult("combine_results")!["response"], Is.EqualTo("Hello from Simple MCP! | Sum was 100 | Product is 200"));
    }

    [Test]
    public async Task Killing_the_server_between_two_tasks_does_not_stop_the_workflow()
    {
        var workflow = new WorkflowBuilder("survives a kill")
            .McpTool("before", "pid", server: "test")
            .AddTask("kill", "proc/kill", new JsonObject { ["pid"] = "${before.result}" }, t => t.DependsOn("before"))
            .McpTool("echo", "echo", new { message = "still answering" }, server: "test", dependsOn: ["kill"])
            .McpTool("after", "pid", server: "test", dependsOn: ["echo"])
            .Build();

        var run = await _engine.RunAsync(workflow);

        AssertCompleted(run);
        Assert.That((string?)run.GetResult("echo")!["response"], Is.EqualTo("still answering"));
        Assert.That((int)run.GetResult("after")!["result"]!, Is.Not.EqualTo((int)run.GetResult("before")!["result"]!));
    }

    [Test]
    public async Task A_tool_error_fails_the_task_and_skips_its_dependents()
    {
        var workflow = new WorkflowBuilder("tool error")
            .McpTool("boom", "fail", new { message = "upstream refused" })
            .McpTool("next", "echo", new { message = "${boom.response}" }, dependsOn: ["boom"])
            .Build();

        var run = await _engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["boom"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskExecutionFailed));
        Assert.That(run.Tasks["boom"].Error!.Message, Does.Contain("upstream refused"));
        Assert.That(run.Tasks["boom"].Attempts, Is.EqualTo(1));
        Assert.That(run.Tasks["next"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
    }

    [Test]
    public void McpTool_builds_an_mcp_task_with_its_server()
    {
        var workflow = new WorkflowBuilder("w").McpTool("sum", "add", new { a = 1, b = 2 }, server: "test", configure: t => t.WithRetry(5)).Build();

        var task = workflow.Tasks.Single();
        Assert.That(task.Method, Is.EqualTo("mcp/tool.add"));
        Assert.That(task.Protocol, Is.EqualTo("mcp/v1"));
        Assert.That(task.Provider, Is.EqualTo("test"));
        Assert.That(task.Parameters.ToJsonString(), Is.EqualTo("""{"a":1,"b":2}"""));
        Assert.That(task.Retry!.MaxAttempts, Is.EqualTo(5));
    }

    [Test]
    public void McpTool_refuses_arguments_that_are_not_an_object()
    {
        Assert.Throws<ArgumentException>(() => new WorkflowBuilder("w").McpTool("x", "echo", new[] { "a" }));
    }

    /// <summary>The original examples; the test reports skipped when they are not beside the clone.</summary>
    private static string OriginalExamplesDirectory() => TestData.OriginalExamples();
}
