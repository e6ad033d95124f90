using System.CommandLine;
using System.Text.Json.Nodes;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>config</c>: the effective configuration and where each value came from.</summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var command = new Command("config", "Print the effective configuration and where each value came from (default, file, env, flag).");
        command.SetHandler(context =>
        {
            var settings = context.Settings;
            var output = context.Output;
            if (output.Json)
            {
                var values = new JsonObject();
                foreach (var s in settings.Values) values[s.Key] = new JsonObject { ["value"] = s.Value, ["source"] = s.Source };
                var servers = new JsonObject();
                foreach (var m in settings.McpServers)
                {
                    servers[m.Name] = new JsonObject
                    {
                        ["command"] = m.Command,
                        ["args"] = new JsonArray(m.Arguments.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
                        ["env"] = new JsonObject(m.Environment.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
                        ["source"] = m.Source,
                    };
                }
                output.WriteJson(new JsonObject
                {
                    ["config_file"] = settings.ConfigFile,
                    ["config_file_source"] = settings.ConfigFileSource,
                    ["config_file_exists"] = settings.ConfigFileExists,
                    ["values"] = values,
                    ["mcp_servers"] = servers,
                });
                return Task.FromResult(ExitCodes.Ok);
            }
            output.Line($"config file: {settings.ConfigFile} ({(settings.ConfigFileExists ? "read" : "not present")}, chosen by {settings.ConfigFileSource})");
            output.Table(["key", "value", "source"], settings.Values.Select(s => (IReadOnlyList<string>)[s.Key, s.Value, s.Source]));
            if (settings.McpServers.Count > 0)
            {
                output.Line();
                output.Table(["mcp server", "command", "source"],
                    settings.McpServers.Select(m => (IReadOnlyList<string>)[m.Name, string.Join(' ', m.Arguments.Prepend(m.Command)), m.Source]));
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
