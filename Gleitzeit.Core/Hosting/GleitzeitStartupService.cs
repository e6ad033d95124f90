using Gleitzeit.Core.Execution;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Hosting;

/// <summary>In a Generic Host: resumes unfinished runs at start when <see cref="GleitzeitOptions.ResumeUnfinishedRunsOnStart"/> is set, and stops the engine at shutdown.</summary>
internal sealed class GleitzeitStartupService(ExecutionEngine engine, IOptions<GleitzeitOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.ResumeUnfinishedRunsOnStart) await engine.ResumeUnfinishedAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await engine.DisposeAsync().ConfigureAwait(false);
}
