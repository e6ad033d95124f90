namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddGleitzeit</c>; providers and stores hang their <c>Add...</c> extensions on it.</summary>
public interface IGleitzeitBuilder
{
    /// <summary>The service collection Gleitzeit's services are registered in.</summary>
    IServiceCollection Services { get; }
}
