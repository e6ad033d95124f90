namespace Gleitzeit.Core.Definitions.Yaml;

/// <summary>A YAML node with the position it starts at (1-based line and column).</summary>
internal abstract class YNode
{
    protected YNode(int line, int column)
    {
        Line = line;
        Column = column;
    }

    public int Line { get; }

    public int Column { get; }

    /// <summary>Nodes in this subtree, aliases counted as the nodes they stand for.</summary>
    public long Size { get; set; } = 1;

    public abstract string Kind { get; }
}
