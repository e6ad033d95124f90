using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Gleitzeit.Providers.OpenAI;

/// <summary>
/// One <see cref="IChatClient"/> over an <see cref="OpenAIClient"/> for every model: the OpenAI SDK binds a chat client to
/// one model, while tasks name theirs in <see cref="ChatOptions.ModelId"/>. Also translates the SDK's errors.
/// </summary>
internal sealed class ModelChatClient(OpenAIClient client, OpenAIOptions options) : IChatClient
{
    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);
    private readonly ChatClientMetadata _metadata = new("openai", options.Endpoint ?? new Uri("https://api.openai.com/v1"), options.DefaultModel);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null, CancellationToken cancellationToken = default)
    {
        var model = chatOptions?.ModelId ?? options.DefaultModel;
        try
        {
            return await For(model).GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw OpenAIErrors.Map(ex, options, model);
        }
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var model = chatOptions?.ModelId ?? options.DefaultModel;
        IAsyncEnumerator<ChatResponseUpdate> updates;
        try
        {
            updates = For(model).GetStreamingResponseAsync(messages, chatOptions, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw OpenAIErrors.Map(ex, options, model);
        }
        await using (updates.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false)) yield break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    throw OpenAIErrors.Map(ex, options, model);
                }
                yield return updates.Current;
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType == typeof(OpenAIClient)) return client;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        foreach (var c in _clients.Values) c.Dispose();
    }

    private IChatClient For(string model) => _clients.GetOrAdd(model, m => client.GetChatClient(m).AsIChatClient());
}
