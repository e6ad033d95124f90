namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The builder <c>AddGleitzeit</c> returns: the service collection, nothing else.</summary>
internal sealed class GleitzeitBuilder(IServiceCollection services) : IGleitzeitBuilder
{
    public IServiceCollection Services { get; } = services;
}
