using System.Runtime.CompilerServices;
using Gleitzeit.Core;
using Microsoft.Extensions.AI;

namespace Gleitzeit.Providers.Ollama;

/// <summary>
/// Ollama ends every complete stream with a <c>"done": true</c> chunk (which OllamaSharp turns into a finish reason).
/// A stream that stops without it was cut off, even when the connection closed cleanly (a proxy timing out, say):
/// report that as a lost connection, which is retried, rather than store half an answer as the result.
/// </summary>
internal sealed class OllamaStreamGuard(IChatClient inner, Uri endpoint) : DelegatingChatClient(inner)
{
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var finished = false;
        var chunks = 0;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            chunks++;
            finished |= update.FinishReason is not null;
            yield return update;
        }
        if (!finished)
        {
            throw new GleitzeitException(GleitzeitErrorCode.NetworkConnectionLost,
                $"The answer from Ollama at {endpoint} stopped after {chunks} chunk(s) without its final chunk{(options?.ModelId is { } m ? $" (model '{m}')" : "")}: the stream was cut off. The task is retried.");
        }
    }
}
