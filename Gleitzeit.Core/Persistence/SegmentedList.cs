using System.Collections;

namespace Gleitzeit.Core.Persistence;

/// <summary>
/// An append-only list kept in fixed segments instead of one array that doubles: a run's history grows to tens of
/// thousands of entries, and one growing array would land on the large object heap at every doubling, whose allocations
/// start background (gen 2) collections while the run is still going.
/// </summary>
internal sealed class SegmentedList<T> : IEnumerable<T>
{
    // 1,024 entries of up to 80 bytes stay below the large object heap's 85,000-byte threshold.
    private const int SegmentLength = 1024;

    private readonly List<T[]> _segments = [];
    private int _countInLast = SegmentLength;

    public int Count { get; private set; }

    public void Add(T item)
    {
        if (_countInLast == SegmentLength)
        {
            _segments.Add(new T[SegmentLength]);
            _countInLast = 0;
        }
        _segments[^1][_countInLast++] = item;
        Count++;
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var s = 0; s < _segments.Count; s++)
        {
            var segment = _segments[s];
            var length = s == _segments.Count - 1 ? _countInLast : SegmentLength;
            for (var i = 0; i < length; i++) yield return segment[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
