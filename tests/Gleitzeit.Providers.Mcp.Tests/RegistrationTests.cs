using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Providers.Mcp.Tests;

/// <summary>services.AddGleitzeit().AddMcp(...)</summary>
[TestFixture]
public sealed class RegistrationTests
{
    [Test]
    public async Task AddMcp_registers_the_provider_and_disposing_the_container_stops_the_servers()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddMcp(o => o.Servers["test"] = TestServers.Ours());
        int pid;
        await using (var provider = services.BuildServiceProvider())
        {
            var engine = provider.GetRequiredService<ExecutionEngine>();
            var run = await engine.RunAsync(new WorkflowBuilder("di").McpTool("pid", "pid").McpTool("sum", "add", new { a = 2, b = 3 }).Build());

            Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), string.Join("; ", run.Tasks.Values.Select(t => t.Error?.ToString())));
            Assert.That((double)run.GetResult("sum")!["result"]!, Is.EqualTo(5));
            Assert.That(provider.GetRequiredService<ProviderRegistry>().Providers.Select(p => p.Id), Does.Contain("mcp"));
            pid = (int)run.GetResult("pid")!["result"]!;
        }

        Assert.That(await TestServers.HasExitedAsync(pid), Is.True, $"server process {pid} outlived the container");
    }

    [Test]
    public void Invalid_server_options_fail_validation_with_the_servers_name()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddMcp(o => o.Servers["broken"] = new McpServerOptions());
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<McpProvider>())!;

        Assert.That(ex.Message, Does.Contain("Servers[\"broken\"]"));
    }

    [Test]
    public async Task AddMcp_without_servers_reports_how_to_add_one()
    {
        var services = new ServiceCollection();
        services.AddGleitzeit().AddMcp();
        await using var provider = services.BuildServiceProvider();
        var mcp = provider.GetRequiredService<McpProvider>();

        var health = await mcp.CheckHealthAsync(CancellationToken.None);
        var ex = (await Assert.ThrowsAsync<GleitzeitException>(async () => await mcp.ExecuteAsync(TestServers.Invocation("tool.echo"), CancellationToken.None)))!;

        Assert.That(health.Status, Is.EqualTo(ProviderHealthStatus.Unhealthy));
        Assert.That(ex.Message, Does.Contain("AddMcp(").And.Contain("providers.mcp.servers"));
    }
}
