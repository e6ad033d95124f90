using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Core.Substitution;
using Gleitzeit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Tests.Pipeline;

public class TaskPipelineTests
{
    /// <summary>Records when it is entered and left, and what it saw of the stages before it.</summary>
    private sealed class Tracing(string name, ConcurrentQueue<string> trace) : ITaskMiddleware
    {
        public async ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
        {
            trace.Enqueue($"{name}> {context.Task.Id} resolved={context.ParametersResolved} text={context.Parameters["text"]}");
            var outcome = await next(context);
            trace.Enqueue($"{name}< {context.Task.Id} {outcome.Kind}");
            return outcome;
        }
    }

    private sealed class Throwing : ITaskMiddleware
    {
        public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next) => throw new InvalidOperationException("the middleware broke");
    }

    private sealed class ThrowingLater : ITaskMiddleware
    {
        public async ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
        {
            await Task.Yield();
            throw new FormatException("late failure");
        }
    }

    private sealed class NoOutcome : ITaskMiddleware
    {
        public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next) => ValueTask.FromResult(default(TaskOutcome));
    }

    /// <summary>Answers from its own store without calling the provider, as a cache hit does.</summary>
    private sealed class Answering : ITaskMiddleware
    {
        public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next) =>
            ValueTask.FromResult(TaskOutcome.Completed(new JsonObject { ["response"] = "from the middleware", ["for"] = context.Parameters["text"]?.DeepClone() }));
    }

    private static ExecutionEngine Engine(ITaskProvider provider, params ITaskMiddleware[] middleware)
    {
        var registry = new ProviderRegistry();
        registry.Register(provider);
        return new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { DefaultRetry = RetryPolicy.None }), pipeline: new TaskPipeline(middleware));
    }

    private static Workflow TwoTasks() => new WorkflowBuilder("two")
        .AddTask("a", "test/run", new JsonObject { ["text"] = "hello" })
        .AddTask("b", "test/run", new JsonObject { ["text"] = "${a.response} again" }, t => t.DependsOn("a"))
        .Build();

    [Test]
    public void The_stages_run_built_ins_first_then_middleware_in_registration_order_then_timeout_and_the_provider()
    {
        var pipeline = new TaskPipeline([new Throwing(), new Answering()]);

        Assert.That(pipeline.Stages, Is.EqualTo(new[] { "telemetry", "references", "validation", "cache", "rate limit", "budget", "Throwing", "Answering", "timeout", "provider" }));
    }

    [Test]
    public async Task Middleware_runs_in_registration_order_around_the_provider_and_sees_resolved_parameters()
    {
        var trace = new ConcurrentQueue<string>();
        var provider = new RecordingProvider(behaviour: (inv, _) =>
        {
            trace.Enqueue($"provider {inv.TaskId}");
            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = "hi" });
        });
        await using var engine = Engine(provider, new Tracing("outer", trace), new Tracing("inner", trace));

        var run = await engine.RunAsync(TwoTasks());

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(trace, Is.EqualTo(new[]
        {
            "outer> a resolved=True text=hello", "inner> a resolved=True text=hello", "provider a", "inner< a Completed", "outer< a Completed",
            "outer> b resolved=True text=hi again", "inner> b resolved=True text=hi again", "provider b", "inner< b Completed", "outer< b Completed",
        }));
    }

    [Test]
    public async Task A_middleware_that_throws_fails_the_attempt_with_internal_error_naming_it_and_the_run_ends()
    {
        var provider = new RecordingProvider();
        await using var engine = Engine(provider, new Throwing());
        var events = new ConcurrentQueue<WorkflowEvent>();

        var run = await engine.RunAsync(TwoTasks(), new RunOptions { OnEvent = events.Enqueue }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        var error = run.Tasks["a"].Error!;
        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.InternalError));
        Assert.That(error.Message, Does.Contain(typeof(Throwing).FullName).And.Contain("InvalidOperationException").And.Contain("the middleware broke"));
        Assert.That(run.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(provider.TotalCalls, Is.Zero);
        Assert.That(events.OfType<TaskFailed>().Single().TaskId, Is.EqualTo("a"));
    }

    [Test]
    public async Task A_middleware_that_throws_after_an_await_is_a_failed_attempt_too()
    {
        await using var engine = Engine(new RecordingProvider(), new ThrowingLater());

        var run = await engine.RunAsync(TwoTasks()).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(run.Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.InternalError));
        Assert.That(run.Tasks["a"].Error!.Message, Does.Contain(typeof(ThrowingLater).FullName).And.Contain("late failure"));
    }

    [Test]
    public async Task A_middleware_that_returns_no_outcome_is_a_failed_attempt_saying_so()
    {
        await using var engine = Engine(new RecordingProvider(), new NoOutcome());

        var run = await engine.RunAsync(TwoTasks()).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(run.Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.InternalError));
        Assert.That(run.Tasks["a"].Error!.Message, Does.Contain(typeof(NoOutcome).FullName).And.Contain("returned no outcome"));
    }

    [Test]
    public async Task A_middleware_that_never_calls_next_completes_the_task_normally_with_events()
    {
        var provider = new RecordingProvider();
        await using var engine = Engine(provider, new Answering());
        var events = new ConcurrentQueue<WorkflowEvent>();

        var run = await engine.RunAsync(TwoTasks(), new RunOptions { OnEvent = events.Enqueue });

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(provider.TotalCalls, Is.Zero, "the provider is never called");
        Assert.That(run.GetResult("b")!["for"]!.GetValue<string>(), Is.EqualTo("from the middleware again"), "the dependent read the short-circuited result");
        var mine = events.Select(e => e switch
        {
            TaskStarted s => "TaskStarted " + s.TaskId,
            TaskCompleted c => "TaskCompleted " + c.TaskId,
            _ => null,
        }).OfType<string>().ToList();
        Assert.That(mine, Is.EqualTo(new[] { "TaskStarted a", "TaskCompleted a", "TaskStarted b", "TaskCompleted b" }));
        Assert.That(events.Last(), Is.TypeOf<WorkflowCompleted>());
    }

    /// <summary>Waits (as a rate limiter would) until the run is cancelled.</summary>
    private sealed class Waiting(TaskCompletionSource entered) : ITaskMiddleware
    {
        public async ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return await next(context);
        }
    }

    [Test]
    public async Task Cancelling_the_run_while_a_middleware_waits_cancels_the_task_not_fails_it()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var engine = Engine(new RecordingProvider(), new Waiting(entered));

        var id = await engine.SubmitAsync(TwoTasks());
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await engine.CancelAsync(id);
        var run = await engine.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(run.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(run.Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskCancelled));
    }

    private sealed class BadTimeout : ITaskMiddleware
    {
        public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
        {
            context.Timeout = TimeSpan.FromSeconds(-5);
            return next(context);
        }
    }

    [Test]
    public async Task A_middleware_that_sets_a_negative_timeout_fails_the_attempt_naming_it()
    {
        await using var engine = Engine(new RecordingProvider(), new BadTimeout());

        var run = await engine.RunAsync(TwoTasks()).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(run.Tasks["a"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.InternalError));
        Assert.That(run.Tasks["a"].Error!.Message, Does.Contain(typeof(BadTimeout).FullName).And.Contain("must be positive"));
    }

    [Test]
    public async Task Registered_with_UseTaskMiddleware_the_middleware_runs_in_the_engine_in_registration_order()
    {
        var trace = new ConcurrentQueue<string>();
        var services = new ServiceCollection();
        services.AddSingleton(trace);
        services.AddGleitzeit(o => o.DefaultRetry = RetryPolicy.None)
            .AddProvider(new RecordingProvider())
            .UseTaskMiddleware<First>()
            .UseTaskMiddleware<Second>();
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<ExecutionEngine>();

        var run = await engine.RunAsync(new WorkflowBuilder("di").AddTask("a", "test/run").Build());

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(engine.Pipeline.Stages, Is.EqualTo(new[] { "telemetry", "references", "validation", "cache", "rate limit", "budget", "First", "Second", "timeout", "provider" }));
        Assert.That(trace, Is.EqualTo(new[] { "First", "Second" }));
    }

    private sealed class First(ConcurrentQueue<string> trace, IServiceProvider services) : ITaskMiddleware
    {
        public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
        {
            Assert.That(context.Services.GetService(typeof(ConcurrentQueue<string>)), Is.SameAs(services.GetService(typeof(ConcurrentQueue<string>))));
            trace.Enqueue("First");
            return next(context);
        }
    }

    private sealed class Second(ConcurrentQueue<string> trace) : ITaskMiddleware
    {
        public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
        {
            trace.Enqueue("Second");
            return next(context);
        }
    }

    [Test]
    public async Task A_decorator_that_forwards_GetService_keeps_the_inner_providers_reference_renderer_in_use()
    {
        var inner = new RenderingProvider();
        await using var engine = Engine(new Decorator(inner));

        var run = await engine.RunAsync(new WorkflowBuilder("decorated")
            .AddTask("a", "test/run", new JsonObject { ["text"] = "hello" })
            .AddTask("b", "test/run", new JsonObject { ["text"] = "<${a.echo}>" }, t => t.DependsOn("a"))
            .Build());

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(run.GetResult("b")!["echo"]!.GetValue<string>(), Is.EqualTo("rendered by the inner provider: <${a.echo}> = hello"));
    }

    [Test]
    public void GetService_by_default_returns_the_provider_for_its_own_types_and_null_for_others()
    {
        ITaskProvider provider = new RenderingProvider();

        Assert.That(provider.GetService(typeof(IReferenceRenderer)), Is.SameAs(provider));
        Assert.That(provider.GetService(typeof(ITaskProvider)), Is.SameAs(provider));
        Assert.That(provider.GetService(typeof(IDisposable)), Is.Null);
    }

    private sealed class RenderingProvider : ITaskProvider, IReferenceRenderer
    {
        public ProtocolDescriptor Protocol { get; } = new("test", "v1", [new MethodDescriptor("test/*")]);

        public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken) =>
            ValueTask.FromResult<JsonNode?>(new JsonObject { ["echo"] = invocation.Parameters["text"]?.DeepClone() });

        public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProviderHealth.Healthy());

        public string? RenderTemplate(string method, string parameterPath, Template template, IReadOnlyList<JsonNode?> values) =>
            $"rendered by the inner provider: {template.Source} = {string.Join(",", values.Select(ReferenceResolver.RenderText))}";
    }

    /// <summary>A provider around another (as logging or caching decorators are): it is no renderer itself.</summary>
    private sealed class Decorator(ITaskProvider inner) : ITaskProvider
    {
        public ProtocolDescriptor Protocol => inner.Protocol;

        public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken) => inner.ExecuteAsync(invocation, cancellationToken);

        public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => inner.CheckHealthAsync(cancellationToken);

        public object? GetService(Type serviceType) => serviceType.IsInstanceOfType(this) ? this : inner.GetService(serviceType);
    }
}
