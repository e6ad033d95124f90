using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gleitzeit.Cli.Rendering;

/// <summary>
/// Where a command writes. Rich (colours, tables with borders, a live view) only when standard output is a terminal and
/// neither <c>NO_COLOR</c> nor <c>TERM=dumb</c> is set; otherwise plain lines without escape codes. Spectre.Console is
/// touched only in rich mode, so plain runs and <c>--version</c> never load it.
/// </summary>
internal sealed class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public Output(TextWriter stdout, TextWriter stderr, bool rich, bool json)
    {
        Out = stdout;
        Err = stderr;
        Rich = rich && !json;
        Json = json;
    }

    public TextWriter Out { get; }

    public TextWriter Err { get; }

    /// <summary>Colours, tables and the live view are allowed.</summary>
    public bool Rich { get; }

    /// <summary><c>--json</c>: stdout carries exactly one JSON document.</summary>
    public bool Json { get; }

    public static bool TerminalSupportsRich()
    {
        if (Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 }) return false;
        if (string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal)) return false;
        return !Console.IsOutputRedirected;
    }

    public void Line(string text = "") => Out.WriteLine(text);

    /// <summary>A line with emphasis in rich mode (markup-free text is passed as is).</summary>
    public void Heading(string text)
    {
        if (Rich) RichConsole.Heading(text);
        else Out.WriteLine(text);
    }

    public void Success(string text)
    {
        if (Rich) RichConsole.Colored(text, "green");
        else Out.WriteLine(text);
    }

    public void WriteJson(JsonNode? node) => Out.WriteLine(ToJsonText(node));

    public static string ToJsonText(JsonNode? node) => node is null ? "null" : node.ToJsonString(JsonOptions);

    /// <summary>A table: bordered in rich mode, aligned columns separated by two spaces otherwise.</summary>
    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var list = rows.ToList();
        if (Rich)
        {
            RichConsole.Table(headers, list);
            return;
        }
        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var row in list)
        {
            for (var i = 0; i < widths.Length && i < row.Count; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        }
        WriteRow(headers, widths);
        foreach (var row in list) WriteRow(row, widths);
    }

    private void WriteRow(IReadOnlyList<string> cells, int[] widths)
    {
        var parts = new string[widths.Length];
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Count ? cells[i].ReplaceLineEndings(" ") : "";
            parts[i] = i == widths.Length - 1 ? cell : cell.PadRight(widths[i]);
        }
        Out.WriteLine(string.Join("  ", parts).TrimEnd());
    }

    /// <summary>Reports a failure on stderr: the message, every detail line, and how to fix it.</summary>
    public void Error(string message, IReadOnlyList<string> details, string? hint)
    {
        if (Rich && !Console.IsErrorRedirected)
        {
            RichConsole.Error(message, details, hint);
            return;
        }
        Err.WriteLine("error: " + message);
        foreach (var d in details) Err.WriteLine("  " + d);
        if (hint is not null) Err.WriteLine("hint: " + hint);
    }

    /// <summary>Shortens a value for a table cell.</summary>
    public static string Clip(string? text, int max = 60)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var one = text.ReplaceLineEndings(" ");
        return one.Length <= max ? one : one[..(max - 1)] + "…";
    }
}
