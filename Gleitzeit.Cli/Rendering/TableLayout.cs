namespace Gleitzeit.Cli.Rendering;

/// <summary>
/// Fits a table into a terminal width without ever wrapping a cell. Tried in order until one fits: every column at its
/// natural width with borders; text columns cut (to at least <see cref="MinTextWidth"/>); the same without borders (two
/// spaces between columns); optional and then text columns left out, from the right; one space between columns. When
/// even the fixed columns do not fit, the widest fixed column after the first is cut with an ellipsis, so a line is
/// never wider than the terminal and nothing wraps.
/// </summary>
internal sealed record TableLayout(bool Bordered, int Gap, IReadOnlyList<int> Widths)
{
    public const int MinTextWidth = 8;

    /// <summary>Width <paramref name="widths"/> take with borders, or with <paramref name="gap"/> spaces between columns (0 = column left out).</summary>
    public static int TotalWidth(IReadOnlyList<int> widths, bool bordered, int gap = 2)
    {
        var shown = widths.Where(w => w > 0).ToList();
        if (shown.Count == 0) return 0;
        // Bordered: "│ a │ b │" = content + 1 padding each side + one border per column + the closing border.
        return bordered ? shown.Sum() + (3 * shown.Count) + 1 : shown.Sum() + (gap * (shown.Count - 1));
    }

    public bool IsShown(int column) => Widths[column] > 0;

    public static TableLayout Fit(IReadOnlyList<Column> columns, IReadOnlyList<int> natural, int available)
    {
        foreach (var bordered in new[] { true, false })
        {
            var widths = natural.Select(w => Math.Max(1, w)).ToArray();
            if (TotalWidth(widths, bordered) <= available) return new TableLayout(bordered, 2, widths);
            if (ShrinkText(columns, widths, bordered, 2, available)) return new TableLayout(bordered, 2, widths);
        }
        foreach (var gap in new[] { 2, 1 })
        {
            // Leave out columns, borderless: optional ones from the right, then text ones from the right.
            var narrow = natural.Select(w => Math.Max(1, w)).ToArray();
            foreach (var kind in new[] { ColumnKind.Optional, ColumnKind.Text })
            {
                for (var i = columns.Count - 1; i >= 0; i--)
                {
                    if (columns[i].Kind != kind) continue;
                    if (ShrinkText(columns, narrow, false, gap, available)) return new TableLayout(false, gap, narrow);
                    narrow[i] = 0;
                    if (TotalWidth(narrow, false, gap) <= available) return new TableLayout(false, gap, narrow);
                }
            }
            if (TotalWidth(narrow, false, gap) <= available) return new TableLayout(false, gap, narrow);
            if (gap == 1)
            {
                // Only fixed columns are left and they do not fit: cut the widest after the first (the id), never below 1.
                while (TotalWidth(narrow, false, gap) > available)
                {
                    var widest = Enumerable.Range(1, narrow.Length - 1).Where(i => narrow[i] > 1).OrderByDescending(i => narrow[i]).FirstOrDefault();
                    if (widest == 0) break;
                    narrow[widest]--;
                }
                return new TableLayout(false, gap, narrow);
            }
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Cuts text columns (widest first, down to <see cref="MinTextWidth"/>) until the table fits.</summary>
    private static bool ShrinkText(IReadOnlyList<Column> columns, int[] widths, bool bordered, int gap, int available)
    {
        var excess = TotalWidth(widths, bordered, gap) - available;
        if (excess <= 0) return true;
        var text = Enumerable.Range(0, columns.Count).Where(i => columns[i].Kind == ColumnKind.Text && widths[i] > MinTextWidth).OrderByDescending(i => widths[i]).ToList();
        foreach (var i in text)
        {
            var cut = Math.Min(excess, widths[i] - MinTextWidth);
            widths[i] -= cut;
            excess -= cut;
            if (excess <= 0) return true;
        }
        return false;
    }
}
