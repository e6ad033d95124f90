using Microsoft.Extensions.Hosting;

namespace Gleitzeit.Samples;

internal sealed class WorkQueue(IEnumerable<string> items)
{
    private readonly Queue<string> _items = new(items);

    public int Failed { get; set; }

    public bool TryTake(out string item)
    {
        lock (_items) return _items.TryDequeue(out item!);
    }
}
