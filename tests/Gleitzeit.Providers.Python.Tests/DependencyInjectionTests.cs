using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Providers.Python.Tests;

public class DependencyInjectionTests
{
    [Test]
    public async Task AddPython_with_defaults_serves_python_execute_through_the_engine()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddPython();
        await using var sp = services.BuildServiceProvider();

        var engine = sp.GetRequiredService<ExecutionEngine>();
        var run = await engine.RunAsync(new WorkflowBuilder("di").Python("p", code: "result = 6 * 7").Build());

        Assert.That((int)run.GetResult("p")!["result"]!, Is.EqualTo(42));
    }

    [Test]
    public async Task AddPython_registers_the_provider_bounded_by_the_pool_size()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddPython(o => o.Workers = 3);
        await using var sp = services.BuildServiceProvider();

        var registration = sp.GetRequiredService<ProviderRegistry>().Providers.Single(p => p.Protocol.Id == "python/v1");

        Assert.That(registration.MaxConcurrency, Is.EqualTo(3));
        Assert.That(registration.Provider, Is.SameAs(sp.GetRequiredService<PythonProvider>()));
    }

    [Test]
    public async Task Invalid_options_fail_when_the_provider_is_built()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddPython(o => o.MaxOutputBytes = 0);
        await using var sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<PythonProvider>());

        Assert.That(ex!.Message, Does.Contain("PythonOptions.MaxOutputBytes must be at least 1"));
    }

    [Test]
    public async Task Disposing_the_container_stops_the_workers()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddPython();
        var sp = services.BuildServiceProvider();
        var pid = await sp.GetRequiredService<PythonProvider>().WorkerPidAsync();

        await sp.DisposeAsync();

        Assert.That(() => Py.ProcessExists(pid), Is.False.After(5000, 50));
    }
}
