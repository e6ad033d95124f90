namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddGleitzeit</c>; providers and stores hang their <c>Add...</c> extensions on it.</summary>
public interface IGleitzeitBuilder
{
    IServiceCollection Services { get; }
}

internal sealed class GleitzeitBuilder(IServiceCollection services) : IGleitzeitBuilder
{
    public IServiceCollection Services { get; } = services;
}
