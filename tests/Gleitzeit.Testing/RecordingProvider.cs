using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Testing;

/// <summary>
/// A provider that records every call: when each task started and finished, how many ran at once, and in what order.
/// Its behaviour per call is a delegate (default: return <c>{"response": task id, "value": n}</c> after a yield).
/// </summary>
public sealed class RecordingProvider : ITaskProvider
{
    private readonly Func<TaskInvocation, CancellationToken, ValueTask<JsonNode?>>? _behaviour;
    private long _clock;
    private int _running;
    private int _maxRunning;

    public RecordingProvider(string protocol = "test/v1", Func<TaskInvocation, CancellationToken, ValueTask<JsonNode?>>? behaviour = null)
    {
        var slash = protocol.IndexOf('/');
        Protocol = new ProtocolDescriptor(protocol[..slash], protocol[(slash + 1)..], [new MethodDescriptor(protocol[..slash] + "/*")]);
        _behaviour = behaviour;
    }

    public ProtocolDescriptor Protocol { get; }

    /// <summary>Called synchronously at the start of each call, before the behaviour (for checks against the record).</summary>
    public Action<TaskInvocation>? OnStart { get; set; }

    public ConcurrentDictionary<string, long> Started { get; } = new();

    public ConcurrentDictionary<string, long> Finished { get; } = new();

    public ConcurrentDictionary<string, int> Calls { get; } = new();

    public ConcurrentQueue<string> StartOrder { get; } = new();

    public int MaxConcurrent => Volatile.Read(ref _maxRunning);

    public int TotalCalls => Calls.Values.Sum();

    public async ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref _running);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, now, seen) != seen) { }
        Started[invocation.TaskId] = Interlocked.Increment(ref _clock);
        StartOrder.Enqueue(invocation.TaskId);
        Calls.AddOrUpdate(invocation.TaskId, 1, (_, n) => n + 1);
        try
        {
            OnStart?.Invoke(invocation);
            if (_behaviour is not null) return await _behaviour(invocation, cancellationToken).ConfigureAwait(false);
            await Task.Yield();
            return new JsonObject { ["response"] = invocation.TaskId, ["value"] = invocation.Parameters["value"]?.DeepClone() };
        }
        finally
        {
            Finished[invocation.TaskId] = Interlocked.Increment(ref _clock);
            Interlocked.Decrement(ref _running);
        }
    }

    public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProviderHealth.Healthy());
}
