using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gleitzeit.Hosting.Tests;

/// <summary>Stopping a Generic Host is not cancelling its runs: they are left interrupted and the next host finishes them.</summary>
public sealed class HostLifetimeTests
{
    [Test]
    public async Task A_host_stopping_mid_run_leaves_it_interrupted_and_the_next_host_finishes_it()
    {
        var database = Path.Combine(Path.GetTempPath(), $"gleitzeit-host-{Guid.NewGuid():N}.db");
        try
        {
            var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var first = BuildHost(database, resume: false, (inv, ct) => inv.TaskId == "slow" ? BlockAsync(firstStarted, ct) : Done(inv));
            await first.StartAsync();
            var engine = first.Services.GetRequiredService<ExecutionEngine>();
            var id = await engine.SubmitAsync(new WorkflowBuilder("interrupted")
                .AddTask("quick", "work/go")
                .AddTask("slow", "work/go", null, t => t.DependsOn("quick"))
                .AddTask("after", "work/go", null, t => t.DependsOn("slow"))
                .Build());
            await firstStarted.Task;

            await first.StopAsync();
            first.Dispose();
            var stored = await ReadAsync(database, id);

            Assert.That(stored.Status, Is.EqualTo(WorkflowStatus.Interrupted));
            Assert.That(stored.Tasks["quick"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
            Assert.That(stored.Tasks["slow"].Status, Is.EqualTo(WorkflowTaskStatus.Pending), "stopping is not cancelling");
            Assert.That(stored.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Pending));

            var ran = new ConcurrentQueue<string>();
            using var second = BuildHost(database, resume: true, (inv, _) =>
            {
                ran.Enqueue(inv.TaskId);
                return Done(inv);
            });
            await second.StartAsync();
            var finished = await second.Services.GetRequiredService<ExecutionEngine>().WaitAsync(id);
            await second.StopAsync();

            Assert.That(finished.Status, Is.EqualTo(WorkflowStatus.Completed), finished.Error?.ToString());
            Assert.That(ran, Is.EqualTo(new[] { "slow", "after" }), "the completed task is not run again");
        }
        finally
        {
            foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(database) + "*")) File.Delete(f);
        }
    }

    [Test]
    public async Task An_OnEvent_handler_that_throws_is_logged_and_the_run_goes_on()
    {
        var logs = new ListLogger();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddGleitzeit().AddProvider(new DelegateProvider("work/v1", (inv, _) => Done(inv), "work/go"));
        using var host = builder.Build();
        await host.StartAsync();
        var engine = host.Services.GetRequiredService<ExecutionEngine>();

        var run = await engine.RunAsync(new WorkflowBuilder("listened").AddTask("a", "work/go").Build(),
            new RunOptions { OnEvent = e => throw new InvalidOperationException("listener bug on " + e.GetType().Name) });
        await host.StopAsync();

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        var errors = logs.Entries.Where(e => e.Level == LogLevel.Error && e.Message.Contains("OnEvent handler", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Is.Not.Empty);
        Assert.That(errors.Select(e => e.Exception?.Message), Has.Some.StartsWith("listener bug on"));
        Assert.That(errors[0].Message, Does.Contain(run.WorkflowId));
    }

    private static IHost BuildHost(string database, bool resume, Func<Core.Protocol.TaskInvocation, CancellationToken, ValueTask<JsonNode?>> work)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGleitzeit(o => o.ResumeUnfinishedRunsOnStart = resume)
            .AddSqlite(o => o.DatabasePath = database)
            .AddProvider(new DelegateProvider("work/v1", work, "work/go"));
        return builder.Build();
    }

    private static ValueTask<JsonNode?> Done(Core.Protocol.TaskInvocation inv) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["task"] = inv.TaskId });

    private static async ValueTask<JsonNode?> BlockAsync(TaskCompletionSource started, CancellationToken cancellationToken)
    {
        started.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return null;
    }

    private static async Task<WorkflowRun> ReadAsync(string database, string id)
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddSqlite(o => o.DatabasePath = database);
        await using var sp = services.BuildServiceProvider();
        return (await sp.GetRequiredService<IWorkflowStore>().GetRunAsync(id))!;
    }

    private sealed class ListLogger : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception), exception));

        public void Dispose()
        {
        }
    }
}
