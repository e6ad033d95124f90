namespace Gleitzeit.Core.Definitions.Yaml;

internal sealed class YMapping(int line, int column) : YNode(line, column)
{
    public List<KeyValuePair<YScalar, YNode>> Entries { get; } = [];

    public override string Kind => "a mapping";

    public YNode? Get(string key)
    {
        foreach (var (k, v) in Entries)
        {
            if (k.Value == key) return v;
        }
        return null;
    }

    public YScalar? GetKey(string key)
    {
        foreach (var (k, _) in Entries)
        {
            if (k.Value == key) return k;
        }
        return null;
    }
}
