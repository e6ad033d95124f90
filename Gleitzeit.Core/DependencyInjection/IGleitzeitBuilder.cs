namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddGleitzeit</c>; providers and stores hang their <c>Add...</c> extensions on it.</summary>
public interface IGleitzeitBuilder
{
    IServiceCollection Services { get; }
}
