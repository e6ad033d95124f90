using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Core.Substitution;
using Gleitzeit.Testing;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>The Python provider's reference renderer stays in use behind a decorator (logging, caching, ...).</summary>
public class DecoratorTests
{
    /// <summary>A decorator as an application writes one: it counts calls and forwards everything else.</summary>
    private sealed class CountingDecorator(ITaskProvider inner) : ITaskProvider
    {
        public int Calls;

        public ProtocolDescriptor Protocol => inner.Protocol;

        public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return inner.ExecuteAsync(invocation, cancellationToken);
        }

        public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => inner.CheckHealthAsync(cancellationToken);

        public object? GetService(Type serviceType) => serviceType.IsInstanceOfType(this) ? this : inner.GetService(serviceType);
    }

    [Test]
    public async Task Behind_a_decorator_references_in_code_still_arrive_as_Python_literals()
    {
        const string hostile = "He said \"hi\"; __import__('os').system('touch pwned') #";
        await using var python = new PythonProvider(new PythonOptions());
        var decorator = new CountingDecorator(python);
        var registry = new ProviderRegistry();
        registry.Register(decorator);
        registry.Register(new DelegateProvider("up/v1", (_, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = hostile }), "up/say"));
        await using var engine = new ExecutionEngine(registry);

        var run = await engine.RunAsync(new WorkflowBuilder("decorated")
            .AddTask("up", "up/say")
            .AddTask("py", PythonProvider.ExecuteMethod, new JsonObject { ["code"] = "value = \"${up.response}\"\nresult = value" }, t => t.DependsOn("up"))
            .Build());

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(run.GetResult("py")!["result"]!.GetValue<string>(), Is.EqualTo(hostile));
        Assert.That(decorator.Calls, Is.EqualTo(1), "the task went through the decorator");
        Assert.That(((ITaskProvider)decorator).GetService(typeof(IReferenceRenderer)), Is.SameAs(python));
    }
}
