namespace Gleitzeit.Core.Execution;

/// <summary>Higher priority first; among equals, first come first served.</summary>
internal sealed class ReadyOrder : IComparer<(int Priority, long Sequence)>
{
    public static readonly ReadyOrder Instance = new();

    public int Compare((int Priority, long Sequence) x, (int Priority, long Sequence) y) =>
        x.Priority != y.Priority ? y.Priority.CompareTo(x.Priority) : x.Sequence.CompareTo(y.Sequence);
}
