namespace Gleitzeit.Cli.Rendering;

/// <summary>How a table column behaves when the terminal is narrow.</summary>
internal enum ColumnKind
{
    /// <summary>Ids, states, attempts, times: always shown whole, never wrapped, never cut.</summary>
    Fixed,

    /// <summary>Shown whole when there is room, left out first when there is not (a creation time, say).</summary>
    Optional,

    /// <summary>Free text (output, result, message): cut with an ellipsis to the room left, left out when almost none is.</summary>
    Text,
}

/// <summary>A table column: its header, how it gives way on a narrow terminal, and its alignment.</summary>
internal sealed record Column(string Header, ColumnKind Kind = ColumnKind.Fixed, bool RightAligned = false)
{
    public static IReadOnlyList<Column> FromHeaders(IReadOnlyList<string> headers) =>
        headers.Select((h, i) => new Column(h, i == headers.Count - 1 && headers.Count > 1 ? ColumnKind.Text : ColumnKind.Fixed)).ToList();
}
