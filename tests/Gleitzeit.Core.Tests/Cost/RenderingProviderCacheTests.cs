using System.Text.Json.Nodes;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Core.Substitution;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Core.Tests.Cost;

public class RenderingProviderCacheTests
{
    /// <summary>Renders every reference under a fresh random name, as the Python provider binds values to variables.</summary>
    private sealed class RandomRenderer : ITaskProvider, IReferenceRenderer
    {
        public int Calls;

        public ProtocolDescriptor Protocol { get; } = new("code", "v1", [new MethodDescriptor("code/run")]);

        public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["code"] = invocation.Parameters["code"]?.DeepClone() });
        }

        public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProviderHealth.Healthy());

        public string? RenderTemplate(string method, string parameterPath, Template template, IReadOnlyList<JsonNode?> values) =>
            $"v_{Guid.NewGuid():N} = {values[0]?.ToJsonString()}";
    }

    [Test]
    public async Task A_provider_rendering_references_differently_each_time_still_hits_the_cache()
    {
        var provider = new RandomRenderer();
        var services = new ServiceCollection();
        services.AddGleitzeit().AddProvider(provider);
        await using var sp = services.BuildServiceProvider();
        var engine = sp.GetRequiredService<ExecutionEngine>();
        var workflow = Gleitzeit.Core.Definitions.WorkflowLoader.Parse("""
            name: rendered
            inputs: { n: 3 }
            tasks:
              - { id: run, method: code/run, cache: true, params: { code: "x = ${inputs.n}" } }
            """, registry: engine.Registry);

        await engine.RunAsync(workflow);
        var second = await engine.RunAsync(workflow);
        var other = await engine.RunAsync(workflow, new RunOptions { Inputs = new Dictionary<string, JsonNode?> { ["n"] = 4 } });

        Assert.That(second.Tasks["run"].Cached, Is.True, "the key covers the values, not the provider's rendering");
        Assert.That(other.Tasks["run"].Cached, Is.False);
        Assert.That(provider.Calls, Is.EqualTo(2));
    }
}
