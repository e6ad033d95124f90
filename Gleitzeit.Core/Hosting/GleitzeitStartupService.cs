using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Hosting;

/// <summary>
/// In a Generic Host: resumes unfinished runs at start when <see cref="GleitzeitOptions.ResumeUnfinishedRunsOnStart"/> is
/// set, and stops the engine at shutdown (its runs are left interrupted, not cancelled). The engine is resolved only in
/// <see cref="StartAsync"/>: the host builds its hosted services before it validates options, and an engine built then
/// would report one invalid option class, inside a DI stack trace, instead of the start-up validation reporting all of them.
/// </summary>
internal sealed class GleitzeitStartupService(IServiceProvider services) : IHostedService
{
    private ExecutionEngine? _engine;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var engine = _engine = services.GetRequiredService<ExecutionEngine>();
        if (services.GetRequiredService<IOptions<GleitzeitOptions>>().Value.ResumeUnfinishedRunsOnStart)
        {
            await engine.ResumeUnfinishedAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_engine is { } engine) await engine.DisposeAsync().ConfigureAwait(false);
    }
}
