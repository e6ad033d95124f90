using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Gleitzeit.Testing;

/// <summary>
/// An <see cref="IChatClient"/> that answers <c>"echo: PROMPT"</c> and reports <see cref="UsageDetails"/>
/// (<see cref="PromptTokens"/> in, <see cref="CompletionTokens"/> out), counting its calls. With <see cref="Hold"/> set,
/// every call waits for <see cref="Release"/>, so a test can keep calls in flight without sleeping.
/// </summary>
public sealed class UsageChatClient : IChatClient
{
    private readonly object _gate = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;
    private int _inFlight;

    public int PromptTokens { get; set; } = 10;

    public int CompletionTokens { get; set; } = 20;

    /// <summary>Calls wait for <see cref="Release"/> while this is true.</summary>
    public bool Hold { get; set; }

    /// <summary>When set, a call throws this instead of answering.</summary>
    public Exception? Failure { get; set; }

    /// <summary>Calls made so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Prompts received, in order of arrival.</summary>
    public List<string> Prompts { get; } = [];

    /// <summary>Lets every held call (and later ones) answer.</summary>
    public void Release()
    {
        Hold = false;
        _release.TrySetResult();
    }

    /// <summary>Completes when at least <paramref name="count"/> calls are in flight at once.</summary>
    public Task InFlightAsync(int count)
    {
        lock (_gate)
        {
            if (_inFlight >= count) return Task.CompletedTask;
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, tcs));
            return tcs.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false)) updates.Add(u);
        return updates.ToChatResponse();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        Interlocked.Increment(ref _calls);
        lock (_gate)
        {
            Prompts.Add(prompt);
            _inFlight++;
            foreach (var w in _waiters.Where(w => _inFlight >= w.Count).ToList())
            {
                w.Signal.TrySetResult();
                _waiters.Remove(w);
            }
        }
        try
        {
            if (Hold) await _release.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            else await Task.Yield();
            if (Failure is { } failure) throw failure;
        }
        finally
        {
            lock (_gate) _inFlight--;
        }
        yield return new ChatResponseUpdate(ChatRole.Assistant, "echo: " + prompt) { ModelId = options?.ModelId };
        yield return new ChatResponseUpdate
        {
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = PromptTokens, OutputTokenCount = CompletionTokens, TotalTokenCount = PromptTokens + CompletionTokens })],
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
