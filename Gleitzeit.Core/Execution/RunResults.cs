using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Gleitzeit.Core.Execution;

/// <summary>The current state of every task of an active run, by id, as the reference stage reads it (no copy).</summary>
internal sealed class RunResults(RunState run) : IReadOnlyDictionary<string, TaskResult>
{
    public TaskResult this[string key] => run.ById[key].Current;

    public IEnumerable<string> Keys => run.ById.Keys;

    public IEnumerable<TaskResult> Values => run.ById.Values.Select(t => t.Current);

    public int Count => run.ById.Count;

    public bool ContainsKey(string key) => run.ById.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TaskResult value)
    {
        if (run.ById.TryGetValue(key, out var task))
        {
            value = task.Current;
            return true;
        }
        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, TaskResult>> GetEnumerator() =>
        run.ById.Select(kv => new KeyValuePair<string, TaskResult>(kv.Key, kv.Value.Current)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
