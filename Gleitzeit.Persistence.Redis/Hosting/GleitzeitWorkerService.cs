using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Persistence.Redis.Hosting;

/// <summary>Runs the <see cref="GleitzeitWorker"/> for the lifetime of the host.</summary>
internal sealed class GleitzeitWorkerService(GleitzeitWorker worker, IOptions<GleitzeitWorkerOptions> options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => worker.RunAsync(options.Value.Concurrency, stoppingToken);
}
