namespace Gleitzeit.Cli.Rendering;

/// <summary>A table column: its header, how it gives way on a narrow terminal, and its alignment.</summary>
internal sealed record Column(string Header, ColumnKind Kind = ColumnKind.Fixed, bool RightAligned = false)
{
    public static IReadOnlyList<Column> FromHeaders(IReadOnlyList<string> headers) =>
        headers.Select((h, i) => new Column(h, i == headers.Count - 1 && headers.Count > 1 ? ColumnKind.Text : ColumnKind.Fixed)).ToList();
}
