using System.Collections;
using System.Globalization;
using Gleitzeit.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gleitzeit.Cli.Configuration;

/// <summary>A value with where it came from: <c>default</c>, the config file, an environment variable or a flag.</summary>
internal sealed record Setting(string Key, string Value, string Source);

/// <summary>An MCP server from configuration.</summary>
internal sealed record McpServerSetting(string Name, string Command, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string Source);

/// <summary>
/// The effective configuration: defaults, overridden by the config file (<c>--config</c>, else <c>GLEITZEIT_CONFIG</c>,
/// else <c>~/.gleitzeit/config.yaml</c>), overridden by environment variables, overridden by flags.
/// </summary>
internal sealed class CliSettings
{
    private readonly Dictionary<string, Setting> _values;

    private CliSettings(Dictionary<string, Setting> values, IReadOnlyList<McpServerSetting> mcpServers, string configFile, bool configFileExists, string configFileSource)
    {
        _values = values;
        McpServers = mcpServers;
        ConfigFile = configFile;
        ConfigFileExists = configFileExists;
        ConfigFileSource = configFileSource;
    }

    public string ConfigFile { get; }

    public bool ConfigFileExists { get; }

    /// <summary>How the config file was chosen: <c>--config</c>, <c>GLEITZEIT_CONFIG</c> or <c>default</c>.</summary>
    public string ConfigFileSource { get; }

    public IReadOnlyList<McpServerSetting> McpServers { get; }

    public IEnumerable<Setting> Values => SettingKeys.All.Select(k => _values[k.Name]);

    public Setting this[string key] => _values[key];

    public string Get(string key) => _values[key].Value;

    public int GetInt(string key) => int.Parse(_values[key].Value, CultureInfo.InvariantCulture);

    /// <summary>A path value with <c>~</c> expanded and made absolute.</summary>
    public string GetPath(string key) => ExpandPath(_values[key].Value);

    public string Backend => Get(SettingKeys.Backend);

    /// <summary>Returns a copy with <paramref name="key"/> set by a command-line flag.</summary>
    public CliSettings WithFlag(string key, string value, string flag)
    {
        var def = SettingKeys.Find(key) ?? throw new ArgumentException($"unknown key {key}", nameof(key));
        var values = new Dictionary<string, Setting>(_values) { [key] = new Setting(key, Check(def, value, "flag " + flag), "flag " + flag) };
        return new CliSettings(values, McpServers, ConfigFile, ConfigFileExists, ConfigFileSource);
    }

    public static string HomeDirectory =>
        Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    public static string ExpandPath(string path)
    {
        if (path == "~") return HomeDirectory;
        if (path.StartsWith("~/", StringComparison.Ordinal)) path = Path.Combine(HomeDirectory, path[2..]);
        return Path.GetFullPath(path);
    }

    /// <summary>Loads the configuration. Throws <see cref="CliException"/> (exit 2 or 3) for a missing named file or a bad value.</summary>
    public static CliSettings Load(string? configFlag, IDictionary? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables();
        string? Env(string name) => environment[name] is string s && s.Length > 0 ? s : null;

        string file, fileSource;
        if (configFlag is { Length: > 0 }) (file, fileSource) = (ExpandPath(configFlag), "--config");
        else if (Env("GLEITZEIT_CONFIG") is { } fromEnv) (file, fileSource) = (ExpandPath(fromEnv), "GLEITZEIT_CONFIG");
        else (file, fileSource) = (Path.Combine(HomeDirectory, ".gleitzeit", "config.yaml"), "default");

        var exists = File.Exists(file);
        if (!exists && fileSource != "default")
        {
            throw new CliException(ExitCodes.FileNotFound, $"Config file not found: {file} (named by {fileSource}).",
                "Create it, or point " + fileSource + " at an existing file; without it the default ~/.gleitzeit/config.yaml is read.");
        }

        var values = SettingKeys.All.ToDictionary(k => k.Name, k => new Setting(k.Name, k.Default, "default"));
        var mcp = new List<McpServerSetting>();
        if (exists) ReadFile(file, values, mcp);

        foreach (var key in SettingKeys.All)
        {
            if (key.EnvironmentVariable is { } variable && Env(variable) is { } value)
            {
                values[key.Name] = new Setting(key.Name, Check(key, value, variable), "env " + variable);
            }
        }
        if (Env("GLEITZEIT_MCP_SERVER_PATH") is { } serverPath)
        {
            mcp.RemoveAll(s => s.Name == "default");
            mcp.Add(ServerFromPath(serverPath, values[SettingKeys.PythonInterpreter].Value));
        }
        return new CliSettings(values, mcp, file, exists, fileSource);
    }

    private static McpServerSetting ServerFromPath(string path, string python)
    {
        var full = ExpandPath(path);
        var (command, args) = Path.GetExtension(full).ToLowerInvariant() switch
        {
            ".js" or ".mjs" or ".cjs" => ("node", new[] { full }),
            ".py" => (python, new[] { full }),
            _ => (full, Array.Empty<string>()),
        };
        return new McpServerSetting("default", command, args, new Dictionary<string, string>(), "env GLEITZEIT_MCP_SERVER_PATH");
    }

    private static string Check(SettingKey key, string value, string where)
    {
        value = value.Trim();
        switch (key.Kind)
        {
            case SettingKind.PositiveInteger:
                if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
                {
                    throw CliException.Invalid($"{where}: {key.Name} must be a whole number of at least 1, got '{value}'.");
                }
                return n.ToString(CultureInfo.InvariantCulture);
            case SettingKind.Choice:
                var lower = value.ToLowerInvariant();
                if (!key.Choices!.Contains(lower))
                {
                    throw CliException.Invalid($"{where}: {key.Name} must be one of {string.Join(", ", key.Choices!)}, got '{value}'.");
                }
                return lower;
            default:
                if (value.Length == 0) throw CliException.Invalid($"{where}: {key.Name} must not be empty.");
                return value;
        }
    }

    private static void ReadFile(string file, Dictionary<string, Setting> values, List<McpServerSetting> mcp)
    {
        var stream = new YamlStream();
        try
        {
            CheckDepth(file);
            using var reader = new StreamReader(file);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            throw CliException.Invalid($"{file}:{ex.Start.Line}:{ex.Start.Column}: not valid YAML: {ex.InnerException?.Message ?? ex.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" }) return;
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw CliException.Invalid($"{At(file, stream.Documents[0].RootNode)}: the config file must be a mapping of sections (persistence, providers, execution, batch).");
        }
        Walk(file, root, "", values, mcp);
    }

    /// <summary>Deepest nesting of mappings and sequences a config file may have; the real one needs 5 levels.</summary>
    internal const int MaxDepth = 32;

    /// <summary>Reads the file's events (no recursion) and refuses nesting deeper than <see cref="MaxDepth"/> at the node
    /// that goes too deep: building the document tree of a file nested 50,000 levels deep would overflow the stack.</summary>
    private static void CheckDepth(string file)
    {
        using var reader = new StreamReader(file);
        var parser = new Parser(reader);
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart:
                    if (++depth > MaxDepth)
                    {
                        var at = parser.Current.Start;
                        throw CliException.Invalid($"{file}:{at.Line}:{at.Column}: the configuration is nested more than {MaxDepth} levels deep.",
                            "A config file has a few sections (persistence, providers, execution, batch); run 'gleitzeit config' to see every key.");
                    }
                    break;
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    private static void Walk(string file, YamlMappingNode map, string prefix, Dictionary<string, Setting> values, List<McpServerSetting> mcp)
    {
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var name = prefix + ((keyNode as YamlScalarNode)?.Value ?? "");
            if (name == SettingKeys.McpServers)
            {
                ReadMcpServers(file, valueNode, mcp);
                continue;
            }
            if (SettingKeys.Find(name) is { } key)
            {
                if (valueNode is not YamlScalarNode scalar)
                {
                    throw CliException.Invalid($"{At(file, valueNode)}: {name} must be a single value, not {Kind(valueNode)}.");
                }
                values[name] = new Setting(name, Check(key, scalar.Value ?? "", At(file, valueNode)), "file " + file);
                continue;
            }
            var childPrefix = name + ".";
            var isSection = SettingKeys.All.Any(k => k.Name.StartsWith(childPrefix, StringComparison.Ordinal)) || SettingKeys.McpServers.StartsWith(childPrefix, StringComparison.Ordinal);
            if (isSection && valueNode is YamlMappingNode section)
            {
                Walk(file, section, childPrefix, values, mcp);
                continue;
            }
            if (isSection && valueNode is YamlScalarNode { Value: null or "" }) continue;
            if (isSection)
            {
                var example = SettingKeys.All.Select(k => k.Name).FirstOrDefault(k => k.StartsWith(childPrefix, StringComparison.Ordinal)) ?? SettingKeys.McpServers;
                throw CliException.Invalid($"{At(file, valueNode)}: '{name}' is a section and must be a mapping of keys (such as {example[childPrefix.Length..].Split('.')[0]}:), not {Kind(valueNode)}.",
                    "Run 'gleitzeit config' to see every key.");
            }
            var suggestion = Suggest(name);
            throw CliException.Invalid($"{At(file, keyNode)}: unknown configuration key '{name}'." + (suggestion is null ? "" : $" Did you mean '{suggestion}'?"),
                "Run 'gleitzeit config' to see every key.");
        }
    }

    private static void ReadMcpServers(string file, YamlNode node, List<McpServerSetting> mcp)
    {
        if (node is YamlScalarNode { Value: null or "" }) return;
        if (node is not YamlMappingNode servers) throw CliException.Invalid($"{At(file, node)}: providers.mcp.servers must map server names to {{command, args, env}}.");
        foreach (var (nameNode, serverNode) in servers.Children)
        {
            var name = Key(file, nameNode, "an MCP server's name");
            if (serverNode is not YamlMappingNode server) throw CliException.Invalid($"{At(file, serverNode)}: MCP server '{name}' must be a mapping with command, args and env.");
            string? command = null;
            var args = new List<string>();
            var env = new Dictionary<string, string>();
            foreach (var (k, v) in server.Children)
            {
                switch ((k as YamlScalarNode)?.Value)
                {
                    case "command" when v is YamlScalarNode s: command = s.Value; break;
                    case "args" when v is YamlSequenceNode seq:
                        args.AddRange(seq.Children.Select(c => c is YamlScalarNode a ? a.Value ?? "" : throw CliException.Invalid($"{At(file, c)}: each argument of MCP server '{name}' must be a single value, not {Kind(c)}.")));
                        break;
                    case "env" when v is YamlMappingNode e:
                        foreach (var (ek, ev) in e.Children)
                        {
                            env[Key(file, ek, $"an environment variable of MCP server '{name}'")] = ev is YamlScalarNode evs
                                ? evs.Value ?? ""
                                : throw CliException.Invalid($"{At(file, ev)}: environment variable '{(ek as YamlScalarNode)?.Value}' of MCP server '{name}' must be a single value, not {Kind(ev)}.");
                        }
                        break;
                    case "env" when v is YamlScalarNode { Value: null or "" }: break;
                    case "command" or "args" or "env":
                        throw CliException.Invalid($"{At(file, v)}: MCP server '{name}': {((YamlScalarNode)k).Value} must be {(((YamlScalarNode)k).Value switch { "command" => "text", "args" => "a list", _ => "a mapping" })}, not {Kind(v)}.");
                    default:
                        throw CliException.Invalid($"{At(file, k)}: MCP server '{name}': expected command (text), args (list) or env (mapping), got '{(k as YamlScalarNode)?.Value}'.");
                }
            }
            if (string.IsNullOrWhiteSpace(command)) throw CliException.Invalid($"{At(file, serverNode)}: MCP server '{name}' has no command.");
            mcp.Add(new McpServerSetting(name, command, args, env, "file " + file));
        }
    }

    private static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode sc => $"the value '{sc.Value}'",
        _ => "an alias",
    };

    private static string Key(string file, YamlNode node, string what) =>
        node is YamlScalarNode { Value: { } v } ? v : throw CliException.Invalid($"{At(file, node)}: {what} must be a name, not {Kind(node)}.");

    private static string At(string file, YamlNode node) => $"{file}:{node.Start.Line}:{node.Start.Column}";

    private static string? Suggest(string name) =>
        Spelling.Suggest(name, SettingKeys.All.Select(k => k.Name).Append(SettingKeys.McpServers));
}
