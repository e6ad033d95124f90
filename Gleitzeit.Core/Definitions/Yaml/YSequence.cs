namespace Gleitzeit.Core.Definitions.Yaml;

internal sealed class YSequence(int line, int column) : YNode(line, column)
{
    public List<YNode> Items { get; } = [];

    public override string Kind => "a list";
}
