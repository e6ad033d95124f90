using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Persistence.Redis.Hosting;

/// <summary>
/// Runs the <see cref="GleitzeitWorker"/> for the lifetime of the host. The worker is resolved when the host starts this
/// service, after the start-up validation of options (so invalid options are reported together, not by its construction).
/// </summary>
internal sealed class GleitzeitWorkerService(IServiceProvider services) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        services.GetRequiredService<GleitzeitWorker>().RunAsync(services.GetRequiredService<IOptions<GleitzeitWorkerOptions>>().Value.Concurrency, stoppingToken);
}
