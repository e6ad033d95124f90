using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>The task pipeline is the same in the engine and in the workers: one set of stages, one order.</summary>
[NonParallelizable]
public sealed class PipelineTests
{
    private static Workflow Traced() => new WorkflowBuilder("traced")
        .AddTask("a", "test/sum", new JsonObject { ["add"] = 1L })
        .AddTask("b", "test/sum", new JsonObject { ["add"] = 1L, ["values"] = new JsonArray("${a.n}") }, t => t.DependsOn("a"))
        .Build();

    private static List<string> TraceOf(WorkflowRun run, string taskId) =>
        run.GetResult(taskId)!["trace"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();

    [Test]
    public async Task A_middleware_sees_the_same_stages_in_the_same_order_in_process_and_on_a_worker_process()
    {
        var registry = new ProviderRegistry();
        registry.Register(new TestProvider(_ => { }));
        var pipeline = new TaskPipeline(StageTrace.Pair());
        await using var engine = new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { DefaultRetry = RetryPolicy.None }), pipeline: pipeline);
        var options = RedisTestServer.NewOptions("pipeline");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        await using var worker = await WorkerProcess.StartAsync(options, "traced", middleware: "trace");

        var local = await engine.RunAsync(Traced());
        var id = await queue.SubmitAsync(Traced());
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var remote = await queue.WaitAsync(id, limit.Token);

        Assert.That(local.Status, Is.EqualTo(WorkflowStatus.Completed), local.Error?.ToString());
        Assert.That(remote.Status, Is.EqualTo(WorkflowStatus.Completed), remote.Error?.ToString());
        Assert.That(worker.Executions().Count(l => l.StartsWith(id + "\t", StringComparison.Ordinal)), Is.EqualTo(2), "the worker process ran both tasks");
        Assert.That(TraceOf(local, "b"), Is.EqualTo(new[]
        {
            "outer> activity=gleitzeit.task test/sum resolved=True values=[1]",
            "inner> activity=gleitzeit.task test/sum resolved=True values=[1]",
            "inner< Completed 2",
            "outer< Completed 2",
        }));
        Assert.That(TraceOf(remote, "a"), Is.EqualTo(TraceOf(local, "a")));
        Assert.That(TraceOf(remote, "b"), Is.EqualTo(TraceOf(local, "b")));
        Assert.That(worker.Output, Does.Contain("stages: " + string.Join(" ", pipeline.Stages)));
        Assert.That(pipeline.Stages, Is.EqualTo(new[] { "telemetry", "references", "validation", "cache", "rate limit", "budget", "StageTrace", "StageTrace", "timeout", "provider" }));
    }

    private sealed class Throwing : ITaskMiddleware
    {
        public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next) => throw new InvalidOperationException("broken middleware");
    }

    private sealed class Answering : ITaskMiddleware
    {
        public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next) =>
            ValueTask.FromResult(TaskOutcome.Completed(new JsonObject { ["n"] = 40 + context.Attempt }));
    }

    [Test]
    public async Task On_a_worker_a_middleware_that_throws_fails_the_task_with_internal_error_naming_it_and_the_run_ends()
    {
        await using var h = Harness.Create("pipeline-throws");
        h.StartWorker(pipeline: new TaskPipeline([new Throwing()]));

        var id = await h.Queue.SubmitAsync(Traced());
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.InternalError));
        Assert.That(run.Tasks["a"].Error!.Message, Does.Contain(typeof(Throwing).FullName).And.Contain("broken middleware"));
        Assert.That(run.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(h.Executions, Is.Empty, "the provider was never called");
    }

    [Test]
    public async Task On_a_worker_a_middleware_that_never_calls_next_completes_the_tasks_once_each()
    {
        await using var h = Harness.Create("pipeline-answers");
        h.StartWorker(pipeline: new TaskPipeline([new Answering()]));

        var id = await h.Queue.SubmitAsync(Traced());
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That((long?)run.GetResult("b")!["n"], Is.EqualTo(41));
        Assert.That(h.Executions, Is.Empty, "the provider was never called");
        Assert.That(await h.CompletionsAsync(id), Is.EqualTo(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1 }));
    }
}
