namespace Gleitzeit.Cli.Rendering;

/// <summary>
/// Fits a table into a terminal width without ever wrapping a cell. Tried in order until one fits: borders, with text
/// columns cut to no less than <see cref="ComfortableTextWidth"/>; the same without borders (two spaces between columns);
/// optional columns left out, from the right; text cut to <see cref="MinTextWidth"/>; text columns left out, from the
/// right; one space between columns. When
/// even the fixed columns do not fit, the widest fixed column after the first is cut with an ellipsis, so a line is
/// never wider than the terminal and nothing wraps.
/// </summary>
internal sealed record TableLayout(bool Bordered, int Gap, IReadOnlyList<int> Widths)
{
    public const int MinTextWidth = 8;

    /// <summary>Text is cut to this before borders are dropped or a column is left out; further (to <see cref="MinTextWidth"/>) after.</summary>
    public const int ComfortableTextWidth = 16;

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
        var dropped = new HashSet<int>();
        TableLayout? Try(bool bordered, int gap, int minimum)
        {
            var widths = natural.Select((w, i) => dropped.Contains(i) ? 0 : Math.Max(1, w)).ToArray();
            return ShrinkText(columns, widths, bordered, gap, available, minimum) ? new TableLayout(bordered, gap, widths) : null;
        }

        var layout = Try(true, 2, ComfortableTextWidth) ?? Try(false, 2, ComfortableTextWidth);
        if (layout is not null) return layout;
        // Leave out optional columns from the right, then cut text further, then leave out text columns from the right.
        foreach (var i in Enumerable.Range(0, columns.Count).Reverse().Where(i => columns[i].Kind == ColumnKind.Optional))
        {
            dropped.Add(i);
            if (Try(false, 2, ComfortableTextWidth) is { } fits) return fits;
        }
        if (Try(false, 2, MinTextWidth) is { } cut) return cut;
        foreach (var i in Enumerable.Range(0, columns.Count).Reverse().Where(i => columns[i].Kind == ColumnKind.Text))
        {
            dropped.Add(i);
            if (Try(false, 2, MinTextWidth) is { } fits) return fits;
        }
        if (Try(false, 1, MinTextWidth) is { } tight) return tight;
        // Only fixed columns are left and they do not fit: cut the widest after the first (the id), never below 1.
        var narrow = natural.Select((w, i) => dropped.Contains(i) ? 0 : Math.Max(1, w)).ToArray();
        while (TotalWidth(narrow, false, 1) > available)
        {
            var widest = Enumerable.Range(1, narrow.Length - 1).Where(i => narrow[i] > 1).OrderByDescending(i => narrow[i]).FirstOrDefault();
            if (widest == 0) break;
            narrow[widest]--;
        }
        return new TableLayout(false, 1, narrow);
    }

    /// <summary>Cuts text columns (widest first, down to <paramref name="minimum"/>) until the table fits.</summary>
    private static bool ShrinkText(IReadOnlyList<Column> columns, int[] widths, bool bordered, int gap, int available, int minimum)
    {
        var excess = TotalWidth(widths, bordered, gap) - available;
        if (excess <= 0) return true;
        var text = Enumerable.Range(0, columns.Count).Where(i => columns[i].Kind == ColumnKind.Text && widths[i] > minimum && widths[i] > 0).OrderByDescending(i => widths[i]).ToList();
        foreach (var i in text)
        {
            var cut = Math.Min(excess, widths[i] - minimum);
            widths[i] -= cut;
            excess -= cut;
            if (excess <= 0) return true;
        }
        return false;
    }
}
