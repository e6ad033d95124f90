using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gleitzeit.Core.Tests.DependencyInjection;

/// <summary>Stopping is not cancelling (ARCHITECTURE §17): a stopping host leaves its runs interrupted, and the next host
/// with ResumeUnfinishedRunsOnStart continues them.</summary>
public sealed class HostStopTests
{
    private static ServiceProvider Host(InMemoryWorkflowStore store, DelegateProvider provider, bool resumeOnStart)
    {
        var services = new ServiceCollection();
        services.AddSingleton(store);
        services.AddGleitzeit(o => o.ResumeUnfinishedRunsOnStart = resumeOnStart).AddProvider(provider).UseStore<InMemoryWorkflowStore>();
        return services.BuildServiceProvider();
    }

    [Test]
    public async Task A_stopping_host_leaves_its_runs_interrupted_and_the_next_host_resumes_them()
    {
        var store = new InMemoryWorkflowStore();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var block = true;
        var provider = new DelegateProvider("echo/v1", async (inv, ct) =>
        {
            if (Volatile.Read(ref block))
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }
            return new JsonObject { ["response"] = "done" };
        }, "echo");
        var workflow = new WorkflowBuilder("hosted").AddTask("a", "echo", new JsonObject(), t => t.WithProtocol("echo/v1")).Build();

        string id;
        await using (var first = Host(store, provider, resumeOnStart: false))
        {
            var hosted = first.GetServices<IHostedService>().ToList();
            foreach (var h in hosted) await h.StartAsync(CancellationToken.None);
            id = await first.GetRequiredService<ExecutionEngine>().SubmitAsync(workflow);
            await started.Task;
            foreach (var h in hosted) await h.StopAsync(CancellationToken.None);
        }

        var stored = await store.GetRunAsync(id);
        Assert.That(stored!.Status, Is.EqualTo(WorkflowStatus.Interrupted));
        Assert.That(stored.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Pending));

        Volatile.Write(ref block, false);
        await using var second = Host(store, provider, resumeOnStart: true);
        foreach (var h in second.GetServices<IHostedService>()) await h.StartAsync(CancellationToken.None);
        var resumed = await second.GetRequiredService<ExecutionEngine>().WaitAsync(id);

        Assert.That(resumed.Status, Is.EqualTo(WorkflowStatus.Completed));
    }
}
