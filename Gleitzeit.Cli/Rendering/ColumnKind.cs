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
