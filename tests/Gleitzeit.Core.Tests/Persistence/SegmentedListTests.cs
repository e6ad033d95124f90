using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Core.Tests.Persistence;

public sealed class SegmentedListTests
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(1023)]
    [TestCase(1024)]
    [TestCase(1025)]
    [TestCase(5000)]
    public void Keeps_every_item_in_order_across_segment_boundaries(int count)
    {
        var list = new SegmentedList<int>();
        for (var i = 0; i < count; i++) list.Add(i);

        Assert.That(list.Count, Is.EqualTo(count));
        Assert.That(list, Is.EqualTo(Enumerable.Range(0, count)));
    }

    [Test]
    public void A_segment_of_run_history_entries_is_not_a_large_object()
    {
        // The reason the list exists: a 10,000-task run's history must not allocate on the large object heap.
        var list = new SegmentedList<(string, string, DateTimeOffset, int, object?)>();
        list.Add(("t", "completed", DateTimeOffset.UnixEpoch, 1, null));

        Assert.That(GC.GetGeneration(SegmentOf(list)), Is.EqualTo(0), "a segment is a small object (gen 0), not a large one (gen 2)");
    }

    private static object SegmentOf<T>(SegmentedList<T> list)
    {
        var field = typeof(SegmentedList<T>).GetField("_segments", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        return ((List<T[]>)field.GetValue(list)!)[0];
    }
}
