using System.CommandLine;
using System.Text.Json.Nodes;
using Gleitzeit.Cli.Configuration;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>init NAME --type python|llm|mixed</c>: writes a folder with a runnable workflow.</summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "Folder to create (also the workflow's name)." };
        var type = new Option<string>("--type", "-t") { Description = "Template: python (no LLM needed), llm or mixed.", DefaultValueFactory = _ => "python" };
        type.AcceptOnlyFromAmong("python", "llm", "mixed");
        var force = new Option<bool>("--force") { Description = "Write into an existing folder, replacing the template's files." };
        var command = new Command("init", "Create a folder with a runnable workflow template.") { name, type, force };
        command.SetHandler(async context =>
        {
            var folder = Path.GetFullPath(context.Parse.GetRequiredValue(name));
            var kind = context.Parse.GetValue(type) ?? "python";
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !context.Parse.GetValue(force))
            {
                throw CliException.Invalid($"{folder} already exists and is not empty.", "Choose another name, or pass --force to overwrite the template's files.");
            }
            var workflowName = Path.GetFileName(folder);
            var model = context.Settings.Get(SettingKeys.OllamaDefaultModel);
            var files = Templates(kind, workflowName, model);
            foreach (var (relative, content) in files)
            {
                var target = Path.Combine(folder, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await File.WriteAllTextAsync(target, content, context.CancellationToken).ConfigureAwait(false);
            }
            var workflowFile = Path.Combine(folder, "workflow.yaml");
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(new JsonObject
                {
                    ["directory"] = folder,
                    ["type"] = kind,
                    ["workflow"] = workflowFile,
                    ["files"] = new JsonArray(files.Keys.Select(f => (JsonNode)JsonValue.Create(Path.Combine(folder, f))).ToArray()),
                });
                return ExitCodes.Ok;
            }
            output.Success($"Created {kind} workflow '{workflowName}' in {folder}:");
            foreach (var f in files.Keys) output.Line("  " + f);
            output.Line();
            output.Line($"Run it with:  gleitzeit run {Path.GetRelativePath(Environment.CurrentDirectory, workflowFile)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static Dictionary<string, string> Templates(string kind, string name, string model)
    {
        var quotedName = "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        return kind switch
        {
            "llm" => new()
            {
                ["workflow.yaml"] = $$"""
                    # An LLM workflow: an outline, then a summary that reads it through ${outline.response}.
                    # Needs Ollama with the model pulled: ollama pull {{model}}
                    name: {{quotedName}}
                    description: "Outline a topic, then summarize the outline"
                    inputs:
                      topic: "the history of the bicycle"   # override with: gleitzeit run workflow.yaml --input topic="..."

                    tasks:
                      - id: outline
                        method: llm/chat
                        parameters:
                          model: "{{model}}"
                          messages:
                            - role: user
                              content: "Write a three-point outline about ${inputs.topic}."

                      - id: summary
                        method: llm/chat
                        dependencies: [outline]
                        parameters:
                          model: "{{model}}"
                          prompt: "Summarize this outline in one sentence: ${outline.response}"

                    """,
            },
            "mixed" => new()
            {
                ["workflow.yaml"] = $$"""
                    # LLM and Python together: the model writes numbers, Python computes statistics, the model explains them.
                    # Needs Ollama with the model pulled (ollama pull {{model}}) and python3.
                    name: {{quotedName}}
                    description: "Numbers from an LLM, statistics in Python, a summary from the LLM"

                    tasks:
                      - id: numbers
                        method: llm/chat
                        parameters:
                          model: "{{model}}"
                          prompt: "Give me 5 random whole numbers between 1 and 100, separated by commas, and nothing else."

                      - id: stats
                        method: python/execute
                        dependencies: [numbers]
                        parameters:
                          file: scripts/stats.py
                          context:
                            text: "${numbers.response}"
                          timeout: 30

                      - id: explain
                        method: llm/chat
                        dependencies: [stats]
                        parameters:
                          model: "{{model}}"
                          prompt: "Explain these statistics to a child in two sentences: ${stats.result}"

                    """,
                ["scripts/stats.py"] = StatsScript,
            },
            _ => new()
            {
                ["workflow.yaml"] = $$"""
                    # A Python-only workflow: runs without any LLM. The first task's result feeds the second through ${stats.result}.
                    name: {{quotedName}}
                    description: "Statistics of a list of numbers, then a one-line report"

                    tasks:
                      - id: stats
                        method: python/execute
                        parameters:
                          file: scripts/stats.py
                          context:
                            text: "3, 1, 4, 1, 5, 9, 2, 6"
                          timeout: 30

                      - id: report
                        method: python/execute
                        dependencies: [stats]
                        parameters:
                          code: |
                            result = f"{stats['count']} numbers, mean {stats['mean']:.2f}, from {stats['min']} to {stats['max']}"
                          context:
                            stats: "${stats.result}"

                    """,
                ["scripts/stats.py"] = StatsScript,
            },
        };
    }

    private const string StatsScript = """
        # Reads the variable 'text' (from the task's context) and leaves its statistics in 'result'.
        import re

        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]
        if not numbers:
            raise ValueError(f"no numbers in {text!r}")

        result = {
            "count": len(numbers),
            "mean": sum(numbers) / len(numbers),
            "min": min(numbers),
            "max": max(numbers),
        }
        print(f"statistics of {len(numbers)} numbers")

        """;
}
