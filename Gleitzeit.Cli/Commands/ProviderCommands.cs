using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Cli.Commands;

/// <summary><c>provider list|health</c>.</summary>
internal static class ProviderCommands
{
    public static Command Create()
    {
        var group = new Command("provider", "Show the configured providers and check their health.");

        var list = new Command("list", "List providers: id, protocol, methods, concurrency bound.");
        list.SetHandler(context =>
        {
            var providers = context.GetServices().Registry.Providers;
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(new JsonObject
                {
                    ["providers"] = new JsonArray(providers.Select(p => (JsonNode)new JsonObject
                    {
                        ["id"] = p.Id,
                        ["protocol"] = p.Protocol.Id,
                        ["methods"] = new JsonArray(p.Protocol.Methods.Select(m => (JsonNode)JsonValue.Create(m.Name)).ToArray()),
                        ["max_concurrency"] = p.MaxConcurrency,
                        ["default_model"] = Llm(p)?.Options.DefaultModel,
                        ["models"] = Llm(p) is { } llm ? new JsonArray(llm.Options.Models.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()) : null,
                    }).ToArray()),
                });
            }
            else if (providers.Count == 0)
            {
                output.Line("No providers are configured.");
            }
            else
            {
                output.Table(["id", "protocol", "methods", "models", "max concurrency"],
                    providers.Select(p => (IReadOnlyList<string>)[p.Id, p.Protocol.Id, string.Join(", ", p.Protocol.Methods.Select(m => m.Name)),
                        Llm(p) is { } llm ? (llm.Options.Models.Count == 0 ? "any (default)" : string.Join(", ", llm.Options.Models)) : "-",
                        p.MaxConcurrency?.ToString(CultureInfo.InvariantCulture) ?? "-"]));
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        group.Add(list);

        var id = new Argument<string?>("ID") { Description = "Provider id (all when omitted).", Arity = ArgumentArity.ZeroOrOne };
        var health = new Command("health", "Check providers' health; exits 4 when one is unhealthy.") { id };
        health.SetHandler(async context =>
        {
            var registry = context.GetServices().Registry;
            var wanted = context.Parse.GetValue(id);
            var providers = registry.Providers.Where(p => wanted is null || p.Id == wanted).ToList();
            if (wanted is not null && providers.Count == 0)
            {
                throw CliException.Invalid($"No provider with id '{wanted}'.",
                    registry.Providers.Count == 0 ? "No providers are configured." : "Configured: " + string.Join(", ", registry.Providers.Select(p => p.Id)));
            }
            var results = await CheckAllAsync(providers, context.CancellationToken).ConfigureAwait(false);
            var output = context.Output;
            if (output.Json) output.WriteJson(new JsonObject { ["providers"] = ToJson(results) });
            else if (results.Count == 0) output.Line("No providers are configured.");
            else
            {
                output.Table(["id", "protocol", "status", "message"],
                    results.Select(r => (IReadOnlyList<string>)[r.Registration.Id, r.Registration.Protocol.Id, r.Health.Status.ToString().ToLowerInvariant(), r.Health.Message is { } m ? Output.Tidy(m) : ""]));
            }
            var sick = results.FirstOrDefault(r => r.Health.Status == ProviderHealthStatus.Unhealthy);
            if (sick.Registration is not null)
            {
                throw new CliException(ExitCodes.ProviderError, $"Provider '{sick.Registration.Id}' is unhealthy: {sick.Health.Message}", RunExecution.FixFor(sick.Registration.Protocol.Name));
            }
            return ExitCodes.Ok;
        });
        group.Add(health);
        return group;
    }

    /// <summary>The llm/v1 provider behind a registration (Ollama, OpenAI, your own), or null for other protocols.</summary>
    private static Gleitzeit.Core.Llm.LlmProvider? Llm(ProviderRegistration registration) =>
        registration.Provider.GetService(typeof(Gleitzeit.Core.Llm.LlmProvider)) as Gleitzeit.Core.Llm.LlmProvider;

    public static async Task<List<(ProviderRegistration Registration, ProviderHealth Health)>> CheckAllAsync(IEnumerable<ProviderRegistration> providers, CancellationToken cancellationToken)
    {
        var checks = providers.Select(async p => (p, await RunExecution.CheckHealthAsync(p, cancellationToken).ConfigureAwait(false))).ToList();
        return [.. await Task.WhenAll(checks).ConfigureAwait(false)];
    }

    public static JsonArray ToJson(IEnumerable<(ProviderRegistration Registration, ProviderHealth Health)> results) =>
        new(results.Select(r => (JsonNode)new JsonObject
        {
            ["id"] = r.Registration.Id,
            ["protocol"] = r.Registration.Protocol.Id,
            ["status"] = r.Health.Status.ToString().ToLowerInvariant(),
            ["message"] = r.Health.Message,
            ["details"] = r.Health.Details?.DeepClone(),
        }).ToArray());
}
