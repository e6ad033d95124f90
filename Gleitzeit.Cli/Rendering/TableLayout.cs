namespace Gleitzeit.Cli.Rendering;

/// <summary>
/// Fits a table into a terminal width without ever wrapping a cell. Tried in order until one fits: every column at its
/// natural width with borders; text columns cut (to at least <see cref="MinTextWidth"/>); the same without borders (two
/// spaces between columns); optional and then text columns left out, from the right. Fixed columns are never cut.
/// </summary>
internal sealed record TableLayout(bool Bordered, IReadOnlyList<int> Widths)
{
    public const int MinTextWidth = 8;

    /// <summary>Width <paramref name="widths"/> take with or without borders (0 = column left out).</summary>
    public static int TotalWidth(IReadOnlyList<int> widths, bool bordered)
    {
        var shown = widths.Where(w => w > 0).ToList();
        if (shown.Count == 0) return 0;
        // Bordered: "│ a │ b │" = content + 1 padding each side + one border per column + the closing border.
        return bordered ? shown.Sum() + (3 * shown.Count) + 1 : shown.Sum() + (2 * (shown.Count - 1));
    }

    public bool IsShown(int column) => Widths[column] > 0;

    public static TableLayout Fit(IReadOnlyList<Column> columns, IReadOnlyList<int> natural, int available)
    {
        foreach (var bordered in new[] { true, false })
        {
            var widths = natural.Select(w => Math.Max(1, w)).ToArray();
            if (TotalWidth(widths, bordered) <= available) return new TableLayout(bordered, widths);
            if (ShrinkText(columns, widths, bordered, available)) return new TableLayout(bordered, widths);
        }
        // Leave out columns, borderless: optional ones from the right, then text ones from the right.
        var narrow = natural.Select(w => Math.Max(1, w)).ToArray();
        foreach (var kind in new[] { ColumnKind.Optional, ColumnKind.Text })
        {
            for (var i = columns.Count - 1; i >= 0; i--)
            {
                if (columns[i].Kind != kind) continue;
                if (ShrinkText(columns, narrow, false, available)) return new TableLayout(false, narrow);
                narrow[i] = 0;
                if (TotalWidth(narrow, false) <= available) return new TableLayout(false, narrow);
            }
        }
        // Only fixed columns are left and they do not fit: show them whole; the terminal cuts the line, nothing wraps.
        return new TableLayout(false, narrow);
    }

    /// <summary>Cuts text columns (widest first, down to <see cref="MinTextWidth"/>) until the table fits.</summary>
    private static bool ShrinkText(IReadOnlyList<Column> columns, int[] widths, bool bordered, int available)
    {
        var excess = TotalWidth(widths, bordered) - available;
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
