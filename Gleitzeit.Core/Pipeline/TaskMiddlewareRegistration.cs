namespace Gleitzeit.Core.Pipeline;

/// <summary>One <c>UseTaskMiddleware&lt;T&gt;()</c> call; the container keeps them in registration order.</summary>
internal sealed record TaskMiddlewareRegistration(Type MiddlewareType);
