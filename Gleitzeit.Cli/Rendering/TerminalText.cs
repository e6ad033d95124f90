using System.Globalization;
using System.Text;

namespace Gleitzeit.Cli.Rendering;

/// <summary>
/// Makes text safe to print for a human on a terminal. Values printed by the CLI come from LLM answers, task output and
/// files: hostile data that must never drive the terminal. Every control character except line feed and tab (ESC, and
/// with it CSI/OSC sequences such as clear screen, OSC 52 clipboard writes or concealed text; CR that overwrites a line;
/// BEL, backspace, the C1 controls) and every bidirectional override or isolate is shown as a visible escape
/// (<c>\x1B</c>, <c>\u202E</c>) instead. JSON output (<c>--json</c>) is not passed through here: JSON escaping applies there.
/// </summary>
internal static class TerminalText
{
    public static string Sanitize(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var i = 0;
        while (i < text.Length && text[i] != '\r' && !NeedsEscape(text, i)) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length + 16);
        sb.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') continue; // CR LF is a line break
            if (!NeedsEscape(text, i))
            {
                sb.Append(c);
                continue;
            }
            sb.Append(c <= 0xFF
                ? string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}")
                : string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"));
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(string text, int i)
    {
        var c = text[i];
        if (c == '\n' || c == '\t') return false;
        if (c == '\r') return !(i + 1 < text.Length && text[i + 1] == '\n');
        return c < 0x20 || c is >= '\u007F' and <= '\u009F' || IsBidiControl(c) || c is '\u2028' or '\u2029';
    }

    /// <summary>Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder what is shown; marks (U+200E/F, U+061C) are invisible.</summary>
    private static bool IsBidiControl(char c) => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C';
}
