namespace Gleitzeit.Providers.OpenAI;

/// <summary>Azure OpenAI takes a key in the <c>api-key</c> header (a bearer token means Entra ID there): sends it that way too.</summary>
internal sealed class AzureApiKeyHandler(string apiKey) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Headers.Contains("api-key")) request.Headers.TryAddWithoutValidation("api-key", apiKey);
        return base.SendAsync(request, cancellationToken);
    }
}
