using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gleitzeit.Cli.Rendering;

/// <summary>
/// Where a command writes. Rich (colours, tables with borders, a live view) only when standard output is a terminal and
/// neither <c>NO_COLOR</c> nor <c>TERM=dumb</c> is set; otherwise plain lines without escape codes. Spectre.Console is
/// touched only in rich mode, so plain runs and <c>--version</c> never load it.
/// </summary>
internal sealed partial class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>JSON shown to a human inside text (a result, say): quotes, apostrophes and non-ASCII letters as they are,
    /// not <c>\u0027</c>; control characters stay escaped by the encoder, and the text is sanitized before it is printed.</summary>
    private static readonly JsonSerializerOptions HumanJsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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

    /// <summary>A line of text for a human: control characters are neutralized (see <see cref="TerminalText"/>).</summary>
    public void Line(string text = "") => Out.WriteLine(TerminalText.Sanitize(text));

    /// <summary>Text as it is printed (a task's output), sanitized, ending with a line break.</summary>
    public void Block(string text) => WriteBlock(Out, text);

    /// <summary>As <see cref="Block"/>, on stderr (what a task wrote to its stderr).</summary>
    public void ErrBlock(string text) => WriteBlock(Err, text);

    private static void WriteBlock(TextWriter writer, string text)
    {
        var safe = TerminalText.Sanitize(text);
        writer.Write(safe.EndsWith('\n') ? safe : safe + "\n");
    }

    /// <summary>A line with emphasis in rich mode (markup-free text is passed as is).</summary>
    public void Heading(string text)
    {
        if (Rich) RichConsole.Heading(Out, text);
        else Line(text);
    }

    public void Success(string text)
    {
        if (Rich) RichConsole.Colored(Out, text, "green");
        else Line(text);
    }

    /// <summary>Writes the one JSON document of <c>--json</c> (JSON escaping applies; not sanitized).</summary>
    public void WriteJson(JsonNode? node) => Out.WriteLine(ToJsonText(node));

    public static string ToJsonText(JsonNode? node) => node is null ? "null" : node.ToJsonString(JsonOptions);

    /// <summary>Compact JSON for text shown to a human: no <c>\u0027</c> for an apostrophe, no <c>\u00E9</c> for an é.</summary>
    public static string ToHumanJson(JsonNode? node) => node is null ? "null" : node.ToJsonString(HumanJsonOptions);

    /// <summary>A table: in rich mode fitted to the terminal (ids and states never wrap, the last column is cut with an
    /// ellipsis); aligned columns separated by two spaces otherwise.</summary>
    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows) => Table(Column.FromHeaders(headers), rows);

    /// <summary>A table whose columns say how they give way on a narrow terminal (rich mode only; plain output is never cut).</summary>
    public void Table(IReadOnlyList<Column> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        var list = rows.ToList();
        if (Rich)
        {
            RichConsole.Table(columns, list);
            return;
        }
        var cells = list.Select(r => columns.Select((_, i) => i < r.Count ? TerminalText.Sanitize(r[i]).ReplaceLineEndings(" ") : "").ToArray()).ToList();
        var widths = columns.Select(c => c.Header.Length).ToArray();
        foreach (var row in cells)
        {
            for (var i = 0; i < widths.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        }
        WriteRow(columns.Select(c => c.Header).ToArray(), widths);
        foreach (var row in cells) WriteRow(row, widths);
    }

    private void WriteRow(IReadOnlyList<string> cells, int[] widths)
    {
        var parts = new string[widths.Length];
        for (var i = 0; i < widths.Length; i++)
        {
            parts[i] = i == widths.Length - 1 ? cells[i] : cells[i].PadRight(widths[i]);
        }
        Out.WriteLine(string.Join("  ", parts).TrimEnd());
    }

    /// <summary>Reports a failure on stderr: the message, every detail line (indented, continuation lines too), and how to
    /// fix it. Library wording is put into the CLI's (<see cref="CliVocabulary"/>), control characters are neutralized, and
    /// a doubled full stop where two sentences were joined is made single.</summary>
    public void Error(string message, IReadOnlyList<string> details, string? hint)
    {
        message = Tidy(message);
        hint = hint is null ? null : Tidy(hint);
        if (hint is not null) message = WithoutAdviceIn(message, hint);
        var lines = details.SelectMany(d => (hint is null ? Tidy(d) : WithoutAdviceIn(Tidy(d), hint)).Split('\n')).Select(l => "  " + l.TrimEnd()).ToList();
        if (Rich && !Console.IsErrorRedirected)
        {
            RichConsole.Error(Err, message, lines, hint);
            return;
        }
        Err.WriteLine("error: " + message);
        foreach (var l in lines) Err.WriteLine(l);
        if (hint is not null) Err.WriteLine("hint: " + hint);
    }

    /// <summary>
    /// Drops from <paramref name="message"/> the sentences that give the same advice as <paramref name="hint"/> (they name a
    /// config key or environment variable the hint names too), so the hint line does not repeat the error. A message is
    /// never emptied.
    /// </summary>
    public static string WithoutAdviceIn(string message, string hint)
    {
        var hintKeys = SettingName().Matches(hint).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        if (hintKeys.Count == 0) return message;
        var sentences = SentenceEnd().Split(message);
        var kept = sentences.Where(sentence => !SettingName().Matches(sentence).Any(m => hintKeys.Contains(m.Value))).ToList();
        return kept.Count == 0 || kept.Count == sentences.Length ? message : string.Join(" ", kept);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(?:providers|persistence|execution|batch)\.[a-z_]+(?:\.[a-z_]+)*|\bGLEITZEIT_[A-Z_]+", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex SettingName();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<=[.?!])\s+(?=[A-Z`'])", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex SentenceEnd();

    /// <summary>A message from the library or a provider as the CLI prints it (see <see cref="Error"/>).</summary>
    public static string Tidy(string text) => SingleFullStops(TerminalText.Sanitize(CliVocabulary.Translate(text)));

    /// <summary><c>"failed.. next"</c> → <c>"failed. next"</c> where two sentences were joined; an ellipsis (<c>...</c>) and a
    /// relative path (<c>../x</c>) are left alone.</summary>
    public static string SingleFullStops(string text) =>
        text.Contains("..", StringComparison.Ordinal) ? DoubledFullStop().Replace(text, ".") : text;

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<=[^.\s])\.\.(?=\s|$)", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex DoubledFullStop();

    /// <summary>Shortens a value for a table cell.</summary>
    public static string Clip(string? text, int max = 60)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var one = TerminalText.Sanitize(text).ReplaceLineEndings(" ");
        return one.Length <= max ? one : one[..(max - 1)] + "…";
    }
}
