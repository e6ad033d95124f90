using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gleitzeit.Dashboard;

/// <summary>What every endpoint of one mapped dashboard shares: the store, the engine, the options, the open live streams.</summary>
internal sealed class DashboardContext
{
    private readonly Lock _gate = new();
    private readonly List<Task> _background = [];
    private int _openStreams;

    public DashboardContext(IServiceProvider services, DashboardOptions options, string prefix)
    {
        Options = options;
        Prefix = prefix;
        Store = services.GetService<IWorkflowStore>()
            ?? throw new InvalidOperationException("MapGleitzeitDashboard needs an IWorkflowStore: call services.AddGleitzeit() (and a store such as AddSqlite()) first.");
        Engine = services.GetService<ExecutionEngine>();
        Time = options.TimeProvider ?? services.GetService<TimeProvider>() ?? TimeProvider.System;
        Logger = services.GetService<ILoggerFactory>()?.CreateLogger("Gleitzeit.Dashboard") ?? NullLogger.Instance;
    }

    public DashboardOptions Options { get; }

    /// <summary>The path the dashboard is mapped under, without a trailing slash ("" at the root).</summary>
    public string Prefix { get; }

    public IWorkflowStore Store { get; }

    public ExecutionEngine? Engine { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>Live event streams currently open (each holds a subscription until its client goes).</summary>
    public int OpenStreams => Volatile.Read(ref _openStreams);

    public void StreamOpened() => Interlocked.Increment(ref _openStreams);

    public void StreamClosed() => Interlocked.Decrement(ref _openStreams);

    /// <summary>Keeps an action that goes on after its request answered (a resume), so it can be awaited.</summary>
    public void Track(Task work)
    {
        lock (_gate)
        {
            _background.RemoveAll(t => t.IsCompleted);
            _background.Add(work);
        }
    }

    /// <summary>Completes when every action started so far has ended.</summary>
    public Task BackgroundWorkAsync()
    {
        lock (_gate) return Task.WhenAll(_background.ToArray());
    }

    /// <summary>The runner owning the run: the configured selector's answer, else the engine.</summary>
    public async Task<IWorkflowRunner?> RunnerForAsync(string workflowId, CancellationToken cancellationToken)
    {
        if (Options.RunnerSelector is { } select) return await select(workflowId, cancellationToken).ConfigureAwait(false);
        return Engine;
    }

    /// <summary>The run as its owner sees it (in memory while it runs in this process), else as stored; null when unknown.</summary>
    public async Task<WorkflowRun?> ReadRunAsync(string workflowId, CancellationToken cancellationToken)
    {
        var runner = await RunnerForAsync(workflowId, cancellationToken).ConfigureAwait(false);
        if (runner is not null) return await runner.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false);
        return await Store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false);
    }
}
