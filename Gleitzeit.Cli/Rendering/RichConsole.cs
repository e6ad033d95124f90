using Spectre.Console;

namespace Gleitzeit.Cli.Rendering;

/// <summary>Everything that draws with Spectre.Console; only called in rich mode.</summary>
internal static class RichConsole
{
    public static void Heading(string text) => AnsiConsole.MarkupLine($"[bold]{Markup.Escape(text)}[/]");

    public static void Colored(string text, string color) => AnsiConsole.MarkupLine($"[{color}]{Markup.Escape(text)}[/]");

    public static void Table(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in headers) table.AddColumn(new TableColumn($"[bold]{Markup.Escape(h)}[/]"));
        foreach (var row in rows) table.AddRow(row.Select(c => (Spectre.Console.Rendering.IRenderable)new Markup(StatusMarkup(c))).ToArray());
        AnsiConsole.Write(table);
    }

    public static void Error(string message, IReadOnlyList<string> details, string? hint)
    {
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        err.MarkupLine($"[red bold]error:[/] {Markup.Escape(message)}");
        foreach (var d in details) err.MarkupLine("  " + Markup.Escape(d));
        if (hint is not null) err.MarkupLine($"[yellow]hint:[/] {Markup.Escape(hint)}");
    }

    /// <summary>Colours a cell that is a status word; escapes everything else.</summary>
    public static string StatusMarkup(string cell) => cell switch
    {
        "completed" or "healthy" => $"[green]{cell}[/]",
        "failed" or "unhealthy" => $"[red]{cell}[/]",
        "running" or "retrying" or "degraded" => $"[yellow]{cell}[/]",
        "skipped" or "cancelled" or "pending" or "queued" => $"[grey]{cell}[/]",
        _ => Markup.Escape(cell),
    };
}

/// <summary>The live view of a running workflow: one row per task with state, attempt, duration and streamed text.</summary>
internal static class LiveRunView
{
    public static async Task<T> ShowAsync<T>(RunProgress progress, Task<T> work)
    {
        await AnsiConsole.Live(Build(progress)).AutoClear(false).StartAsync(async ctx =>
        {
            while (!work.IsCompleted)
            {
                ctx.UpdateTarget(Build(progress));
                ctx.Refresh();
                await Task.WhenAny(work, Task.Delay(100)).ConfigureAwait(false);
            }
            ctx.UpdateTarget(Build(progress));
            ctx.Refresh();
        }).ConfigureAwait(false);
        return await work.ConfigureAwait(false);
    }

    private static Table Build(RunProgress progress)
    {
        var table = new Table().Border(TableBorder.Rounded).Expand();
        table.AddColumn("[bold]task[/]");
        table.AddColumn("[bold]state[/]");
        table.AddColumn(new TableColumn("[bold]attempt[/]").RightAligned());
        table.AddColumn(new TableColumn("[bold]time[/]").RightAligned());
        table.AddColumn(new TableColumn("[bold]output[/]").NoWrap());
        foreach (var (id, state, attempt, duration, detail) in progress.Snapshot(DateTimeOffset.UtcNow))
        {
            var stateCell = state == "running" ? "[yellow]● running[/]" : RichConsole.StatusMarkup(state);
            table.AddRow(Markup.Escape(id), stateCell, attempt, duration, Markup.Escape(detail));
        }
        return table;
    }
}
