using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Gleitzeit.Core.Definitions.Yaml;

/// <summary>
/// The text of a YAML file as the parser needs it: decoded strictly (a byte that is not UTF-8 is an error at its line and
/// column, never a silent replacement character), free of NUL bytes (which the parser would take for the end of the text).
/// </summary>
internal static class YamlText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes a file's bytes: UTF-8 (a byte order mark is skipped), or UTF-16/UTF-32 when their byte order mark says so.</summary>
    /// <exception cref="YamlTreeException">The bytes are not valid in their encoding, located at the first bad byte.</exception>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        else if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00])) return DecodeWide(bytes[4..], new UTF32Encoding(bigEndian: false, byteOrderMark: false, throwOnInvalidCharacters: true), "UTF-32");
        else if (bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF])) return DecodeWide(bytes[4..], new UTF32Encoding(bigEndian: true, byteOrderMark: false, throwOnInvalidCharacters: true), "UTF-32");
        else if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return DecodeWide(bytes[2..], new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true), "UTF-16");
        else if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return DecodeWide(bytes[2..], new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true), "UTF-16");

        var chars = ArrayPool<char>.Shared.Rent(Math.Max(1, bytes.Length));
        try
        {
            var status = Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false);
            if (status == OperationStatus.Done) return new string(chars, 0, written);
            // InvalidData or NeedMoreData (a sequence cut off at the end): either way 'read' is where the bad bytes start.
            var (line, column) = Position(chars.AsSpan(0, written));
            var bad = bytes[read..];
            var shown = string.Join(" ", bad[..Math.Min(bad.Length, 4)].ToArray().Select(b => $"0x{b:X2}"));
            throw new YamlTreeException(
                $"the file is not valid UTF-8: byte {shown} at byte offset {read}; save the file as UTF-8 (it may be in Latin-1 or Windows-1252)",
                line, column);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static string DecodeWide(ReadOnlySpan<byte> bytes, Encoding encoding, string name)
    {
        try
        {
            return encoding.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            var good = encoding.GetString(bytes[..Math.Clamp(ex.Index, 0, bytes.Length)]);
            var (line, column) = Position(good);
            throw new YamlTreeException($"the file is not valid {name} (its byte order mark says {name}): a bad sequence at byte offset {ex.Index}; save the file as UTF-8", line, column);
        }
    }

    /// <summary>A NUL character would end the parser's input early ("unexpected end of stream"): name it where it is.</summary>
    public static void EnsureNoNul(string text)
    {
        var at = text.IndexOf('\0', StringComparison.Ordinal);
        if (at < 0) return;
        var (line, column) = Position(text.AsSpan(0, at));
        throw new YamlTreeException(
            "the text holds a NUL byte (U+0000): a workflow file is plain text; if it was saved as UTF-16, save it as UTF-8", line, column);
    }

    /// <summary>
    /// The first tab in a line's indentation at or after the parser's position (1-based line and column), or the first one in the
    /// text when none follows it; null when the indentation holds no tab.
    /// </summary>
    public static (int Line, int Column)? FindIndentationTab(string text, int fromLine, int fromColumn)
    {
        (int Line, int Column)? first = null;
        var line = 1;
        var lineStart = 0;
        while (lineStart <= text.Length)
        {
            var end = text.IndexOf('\n', lineStart);
            if (end < 0) end = text.Length;
            for (var i = lineStart; i < end && text[i] is ' ' or '\t'; i++)
            {
                if (text[i] != '\t') continue;
                var found = (line, i - lineStart + 1);
                if (line > fromLine || (line == fromLine && found.Item2 >= fromColumn)) return found;
                first ??= found;
                break;
            }
            lineStart = end + 1;
            line++;
        }
        return first;
    }

    /// <summary>The 1-based line and column just after <paramref name="before"/>.</summary>
    private static (int Line, int Column) Position(ReadOnlySpan<char> before)
    {
        var line = 1 + before.Count('\n');
        var lastBreak = before.LastIndexOf('\n');
        return (line, before.Length - lastBreak);
    }
}
