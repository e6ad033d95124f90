using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gleitzeit.Core.Tests.Cost;

/// <summary>An engine built the way hosts build it (AddGleitzeit + AddLlm over a fake chat client), with a fake clock and a python stand-in.</summary>
internal sealed class CostHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public CostHarness(int maxConcurrency = 8, Action<IServiceCollection>? configure = null, Gleitzeit.Core.Cost.RateLimitOptions? rateLimit = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        var builder = services.AddGleitzeit(o => o.MaxConcurrency = maxConcurrency)
            .AddLlm(Client, configure: o =>
            {
                o.DefaultModel = "fake-model";
                o.RateLimit = rateLimit;
            })
            .AddProvider(new DelegateProvider("python/v1", (inv, _) =>
            {
                Interlocked.Increment(ref _pythonCalls);
                return PythonBehaviour(inv);
            }, "python/execute"));
        configure?.Invoke(services);
        _services = services.BuildServiceProvider();
        Engine = _services.GetRequiredService<ExecutionEngine>();
    }

    private int _pythonCalls;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public UsageChatClient Client { get; } = new();

    public ExecutionEngine Engine { get; }

    public IServiceProvider Services => _services;

    public int PythonCalls => Volatile.Read(ref _pythonCalls);

    /// <summary>What the python stand-in does; by default returns its parameter <c>value</c>.</summary>
    public Func<TaskInvocation, ValueTask<JsonNode?>> PythonBehaviour { get; set; } =
        inv => ValueTask.FromResult<JsonNode?>(new JsonObject { ["result"] = inv.Parameters["value"]?.DeepClone() });

    public Workflow Load(string yaml) => WorkflowLoader.Parse(yaml, registry: Engine.Registry, sourceName: "test.yaml");

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
