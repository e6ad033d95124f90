using Spectre.Console;
using Spectre.Console.Rendering;

namespace Gleitzeit.Cli.Rendering;

/// <summary>Everything that draws with Spectre.Console; only called in rich mode. Every text is passed through
/// <see cref="TerminalText.Sanitize"/> and escaped as markup before it is drawn.</summary>
internal static class RichConsole
{
    // Lines of text are written with plain SGR codes, not through Spectre: Spectre wraps a markup line at the console's
    // width, which would split a run id in a hint or a summary; the terminal's own soft wrap keeps it copyable.
    public static void Heading(TextWriter writer, string text) => writer.WriteLine($"\u001b[1m{TerminalText.Sanitize(text)}\u001b[0m");

    public static void Colored(TextWriter writer, string text, string color) => writer.WriteLine($"{Sgr(color)}{TerminalText.Sanitize(text)}\u001b[0m");

    private static string Sgr(string color) => color switch
    {
        "green" => "\u001b[32m",
        "red" => "\u001b[31m",
        "yellow" => "\u001b[33m",
        _ => "\u001b[1m",
    };

    public static void Table(IReadOnlyList<Column> columns, IReadOnlyList<IReadOnlyList<string>> rows) =>
        AnsiConsole.Write(BuildTable(columns, rows, AnsiConsole.Console.Profile.Width));

    /// <summary>A table that fits <paramref name="width"/> columns (see <see cref="TableLayout"/>): no cell ever wraps;
    /// text cells are cut with an ellipsis; a status word is coloured.</summary>
    public static Table BuildTable(IReadOnlyList<Column> columns, IReadOnlyList<IReadOnlyList<string>> rows, int width,
        Func<int, string, string>? markup = null)
    {
        var cells = rows.Select(r => columns.Select((_, i) => i < r.Count ? OneLine(r[i]) : "").ToArray()).ToList();
        var natural = columns.Select((c, i) => Math.Max(c.Header.GetCellWidth(), cells.Count == 0 ? 0 : cells.Max(r => r[i].GetCellWidth()))).ToList();
        var layout = TableLayout.Fit(columns, natural, width);
        var shown = Enumerable.Range(0, columns.Count).Where(layout.IsShown).ToList();
        var table = new Table().Border(layout.Bordered ? TableBorder.Rounded : TableBorder.None);
        foreach (var i in shown)
        {
            var w = layout.Widths[i];
            var column = new TableColumn(new Markup($"[bold]{Markup.Escape(Cut(columns[i].Header, w))}[/]")).Width(w).NoWrap();
            if (!layout.Bordered) column.Padding(0, 0, i == shown[^1] ? 0 : layout.Gap, 0);
            if (columns[i].RightAligned) column.RightAligned();
            table.AddColumn(column);
        }
        foreach (var row in cells)
        {
            table.AddRow(shown.Select(i =>
            {
                var text = Cut(row[i], layout.Widths[i]);
                return (IRenderable)new Markup(markup?.Invoke(i, text) ?? StatusMarkup(text));
            }).ToArray());
        }
        return table;
    }

    /// <summary>One line of sanitized text: line breaks become spaces (a cell never spans lines).</summary>
    public static string OneLine(string? text) => TerminalText.Sanitize(text).ReplaceLineEndings(" ").Replace('\t', ' ');

    /// <summary>Cuts <paramref name="text"/> to <paramref name="width"/> terminal cells, ending in an ellipsis when cut.</summary>
    public static string Cut(string text, int width)
    {
        if (text.GetCellWidth() <= width) return text;
        if (width <= 1) return width == 1 ? "…" : "";
        var end = text.Length;
        while (end > 0 && text[..end].GetCellWidth() > width - 1) end--;
        if (end > 0 && char.IsHighSurrogate(text[end - 1])) end--;
        return text[..end] + "…";
    }

    /// <summary>An error on stderr with coloured labels; the texts are sanitized by the caller.</summary>
    public static void Error(TextWriter writer, string message, IReadOnlyList<string> details, string? hint)
    {
        writer.WriteLine($"\u001b[1;31merror:\u001b[0m {message}");
        foreach (var d in details) writer.WriteLine(d);
        if (hint is not null) writer.WriteLine($"\u001b[33mhint:\u001b[0m {hint}");
    }

    /// <summary>Colours a cell that is a status word; escapes everything else.</summary>
    public static string StatusMarkup(string cell) => cell switch
    {
        "completed" or "healthy" or "success" => $"[green]{cell}[/]",
        "failed" or "unhealthy" => $"[red]{cell}[/]",
        "running" or "retrying" or "degraded" => $"[yellow]{cell}[/]",
        "waiting" or "⏸ waiting" => $"[magenta]{Markup.Escape(cell)}[/]",
        "skipped" or "cancelled" or "pending" or "queued" => $"[grey]{cell}[/]",
        _ => Markup.Escape(cell),
    };
}

/// <summary>The live view of a running workflow: one row per task with state, attempt, duration and streamed text, fitted
/// to the terminal's width on every refresh.</summary>
internal static class LiveRunView
{
    private static readonly IReadOnlyList<Column> Columns =
    [
        new("task"),
        new("state"),
        new("attempt", RightAligned: true),
        new("time", RightAligned: true),
        new("output", ColumnKind.Text),
    ];

    public static async Task<T> ShowAsync<T>(RunProgress progress, Task<T> work)
    {
        var console = AnsiConsole.Console;
        await console.Live(Build(progress, console.Profile.Width, DateTimeOffset.UtcNow)).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).StartAsync(async ctx =>
        {
            while (!work.IsCompleted)
            {
                ctx.UpdateTarget(Build(progress, console.Profile.Width, DateTimeOffset.UtcNow));
                ctx.Refresh();
                await Task.WhenAny(work, Task.Delay(100)).ConfigureAwait(false);
            }
            ctx.UpdateTarget(Build(progress, console.Profile.Width, DateTimeOffset.UtcNow));
            ctx.Refresh();
        }).ConfigureAwait(false);
        return await work.ConfigureAwait(false);
    }

    /// <summary>The table for a terminal <paramref name="width"/> columns wide.</summary>
    public static Table Build(RunProgress progress, int width, DateTimeOffset now)
    {
        var rows = progress.Snapshot(now).Select(l => (IReadOnlyList<string>)[l.Id, l.State switch { "running" => "● running", "waiting" => "⏸ waiting", _ => l.State }, l.Attempt, l.Duration, l.Detail]).ToList();
        return RichConsole.BuildTable(Columns, rows, width, (column, text) => column == 1 && text == "● running" ? "[yellow]● running[/]" : RichConsole.StatusMarkup(text));
    }
}
