namespace Gleitzeit.Core.Definitions.Yaml;

/// <summary>A problem in the YAML itself, at a position.</summary>
internal sealed class YamlTreeException(string message, long line, long column) : Exception(message)
{
    public int Line { get; } = (int)Math.Min(line, int.MaxValue);

    public int Column { get; } = (int)Math.Min(column, int.MaxValue);
}
