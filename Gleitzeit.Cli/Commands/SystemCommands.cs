using System.CommandLine;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Cli.Configuration;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>system status</c>: store, providers' health, Ollama and its models, recent runs.</summary>
internal static class SystemCommands
{
    public static Command Create()
    {
        var group = new Command("system", "The state of the whole installation.");
        var status = new Command("status", "Store, each provider's health, whether Ollama is reachable and its models, recent runs.");
        status.SetHandler(async context =>
        {
            var services = context.GetServices();
            var statsTask = services.Store.GetStatisticsAsync(context.CancellationToken).AsTask();
            var recentTask = services.Store.ListRunsAsync(new RunQuery { Limit = 5 }, context.CancellationToken).AsTask();
            var healthTask = ProviderCommands.CheckAllAsync(services.Registry.Providers, context.CancellationToken);
            var ollamaUrl = services.Settings.Get(SettingKeys.OllamaUrl);
            var ollamaTask = ProbeOllamaAsync(ollamaUrl, context.CancellationToken);
            var stats = await statsTask.ConfigureAwait(false);
            var recent = await recentTask.ConfigureAwait(false);
            var health = await healthTask.ConfigureAwait(false);
            var (reachable, models, problem) = await ollamaTask.ConfigureAwait(false);

            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(new JsonObject
                {
                    ["version"] = Version,
                    ["config_file"] = services.Settings.ConfigFileExists ? services.Settings.ConfigFile : null,
                    ["store"] = BackendCommands.StatsJson(services.Settings.Backend, services.StoreDescription, stats),
                    ["providers"] = ProviderCommands.ToJson(health),
                    ["ollama"] = new JsonObject
                    {
                        ["url"] = ollamaUrl,
                        ["reachable"] = reachable,
                        ["models"] = new JsonArray(models.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()),
                        ["error"] = problem,
                    },
                    ["recent_runs"] = new JsonArray(recent.Select(r => (JsonNode)JsonShapes.Summary(r)).ToArray()),
                });
                return ExitCodes.Ok;
            }
            output.Heading($"gleitzeit {Version}");
            output.Line($"config: {(services.Settings.ConfigFileExists ? services.Settings.ConfigFile : "(none; defaults)")}");
            output.Line($"store:  {services.StoreDescription}; {stats.TotalRuns} runs, {stats.TotalTasks} tasks");
            output.Line($"ollama: {ollamaUrl} " + (reachable ? $"reachable, {models.Count} model{(models.Count == 1 ? "" : "s")}: {string.Join(", ", models)}" : $"not reachable ({problem})"));
            output.Line();
            if (health.Count == 0) output.Line("No providers are configured.");
            else
            {
                output.Table(["provider", "protocol", "status", "message"],
                    health.Select(h => (IReadOnlyList<string>)[h.Registration.Id, h.Registration.Protocol.Id, h.Health.Status.ToString().ToLowerInvariant(), h.Health.Message is { } m ? Output.Tidy(m) : ""]));
            }
            output.Line();
            if (recent.Count == 0) output.Line("No runs yet.");
            else
            {
                output.Table(["recent run", "name", "status", "created"],
                    recent.Select(r => (IReadOnlyList<string>)[r.WorkflowId, r.Name, JsonShapes.Lower(r.Status), WorkflowCommands.Local(r.CreatedAt)]));
            }
            return ExitCodes.Ok;
        });
        group.Add(status);
        return group;
    }

    public static string Version =>
        typeof(SystemCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Asks Ollama for its models (<c>GET /api/tags</c>): reachable or not, and which models it has.</summary>
    internal static async Task<(bool Reachable, List<string> Models, string? Problem)> ProbeOllamaAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri)) return (false, [], $"'{url}' is not a URL");
        using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            var tags = await http.GetFromJsonAsync<JsonObject>("api/tags", cancellationToken).ConfigureAwait(false);
            var models = (tags?["models"] as JsonArray ?? []).Select(m => m?["name"]?.GetValue<string>()).OfType<string>().ToList();
            return (true, models, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            return (false, [], ex is TaskCanceledException ? "no answer within 3 s" : ex.Message);
        }
    }
}
