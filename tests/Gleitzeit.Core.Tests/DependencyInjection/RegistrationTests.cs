using Gleitzeit.Core.Batch;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Tests.DependencyInjection;

public class RegistrationTests
{
    [Test]
    public async Task AddGleitzeit_registers_the_engine_registry_batch_processor_and_in_memory_store()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit(o => o.MaxConcurrency = 3).AddProvider(DelegateProvider.Echo(), maxConcurrency: 2);
        await using var sp = services.BuildServiceProvider();

        Assert.That(sp.GetRequiredService<ExecutionEngine>(), Is.Not.Null);
        Assert.That(sp.GetRequiredService<BatchProcessor>(), Is.Not.Null);
        Assert.That(sp.GetRequiredService<IWorkflowStore>(), Is.TypeOf<InMemoryWorkflowStore>());
        var registration = sp.GetRequiredService<ProviderRegistry>().Providers.Single(p => p.Provider is not Gleitzeit.Core.Human.HumanProvider);
        Assert.That(registration.Id, Is.EqualTo("echo"));
        Assert.That(registration.MaxConcurrency, Is.EqualTo(2));
        Assert.That(sp.GetRequiredService<IOptions<GleitzeitOptions>>().Value.MaxConcurrency, Is.EqualTo(3));
    }

    [Test]
    public async Task Invalid_options_are_reported_on_start()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit(o => o.MaxConcurrency = 0);
        await using var sp = services.BuildServiceProvider();

        Assert.That(() => sp.GetRequiredService<IOptions<GleitzeitOptions>>().Value,
            Throws.TypeOf<OptionsValidationException>().With.Message.Contains("MaxConcurrency must be at least 1"));
    }

    [Test]
    public async Task UseStore_replaces_the_default_store()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().UseStore<CountingStore>();
        await using var sp = services.BuildServiceProvider();

        Assert.That(sp.GetRequiredService<IWorkflowStore>(), Is.TypeOf<CountingStore>());
        Assert.That(sp.GetRequiredService<ExecutionEngine>().Store, Is.TypeOf<CountingStore>());
    }

    private sealed class CountingStore : IWorkflowStore
    {
        private readonly InMemoryWorkflowStore _inner = new();

        public ValueTask CreateRunAsync(WorkflowRun run, CancellationToken cancellationToken = default) => _inner.CreateRunAsync(run, cancellationToken);
        public ValueTask UpdateRunStatusAsync(string workflowId, WorkflowStatus status, DateTimeOffset timestamp, GleitzeitError? error = null, CancellationToken cancellationToken = default) => _inner.UpdateRunStatusAsync(workflowId, status, timestamp, error, cancellationToken);
        public ValueTask SaveTaskAsync(string workflowId, TaskResult task, CancellationToken cancellationToken = default) => _inner.SaveTaskAsync(workflowId, task, cancellationToken);
        public ValueTask SaveTasksAsync(string workflowId, IReadOnlyList<TaskResult> tasks, CancellationToken cancellationToken = default) => _inner.SaveTasksAsync(workflowId, tasks, cancellationToken);
        public ValueTask<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default) => _inner.GetRunAsync(workflowId, cancellationToken);
        public ValueTask<RunLease> AcquireLeaseAsync(string workflowId, RunLease lease, DateTimeOffset now, string? takeOverFrom = null, CancellationToken cancellationToken = default) => _inner.AcquireLeaseAsync(workflowId, lease, now, takeOverFrom, cancellationToken);
        public ValueTask ReleaseLeaseAsync(string workflowId, string owner, CancellationToken cancellationToken = default) => _inner.ReleaseLeaseAsync(workflowId, owner, cancellationToken);
        public ValueTask<RunLease?> GetLeaseAsync(string workflowId, CancellationToken cancellationToken = default) => _inner.GetLeaseAsync(workflowId, cancellationToken);
        public ValueTask<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(RunQuery? query = null, CancellationToken cancellationToken = default) => _inner.ListRunsAsync(query, cancellationToken);
        public ValueTask<StoredTaskResult?> GetTaskResultAsync(string taskId, string? workflowId = null, CancellationToken cancellationToken = default) => _inner.GetTaskResultAsync(taskId, workflowId, cancellationToken);
        public ValueTask<IReadOnlyList<StoredTaskResult>> GetResultsByWorkflowNameAsync(string workflowName, CancellationToken cancellationToken = default) => _inner.GetResultsByWorkflowNameAsync(workflowName, cancellationToken);
        public ValueTask<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) => _inner.GetStatisticsAsync(cancellationToken);
        public ValueTask<IReadOnlyList<StoredEvent>> GetEventsAsync(string workflowId, CancellationToken cancellationToken = default) => _inner.GetEventsAsync(workflowId, cancellationToken);
        public ValueTask<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) => _inner.PurgeAsync(olderThan, cancellationToken);
    }
}
