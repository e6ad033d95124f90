namespace Gleitzeit.Core.Protocol;

/// <summary>
/// Routes a task to its provider by the task's <c>provider</c> field, else by protocol, and checks the method
/// and its parameters before anything is called.
/// </summary>
public sealed class ProviderRegistry
{
    private readonly Lock _gate = new();
    private ProviderRegistration[] _registrations;

    /// <summary>Creates a registry holding <paramref name="registrations"/> (ids must be unique).</summary>
    public ProviderRegistry(IEnumerable<ProviderRegistration> registrations)
    {
        _registrations = [];
        foreach (var r in registrations) Register(r);
    }

    /// <summary>Creates an empty registry.</summary>
    public ProviderRegistry() : this([]) { }

    /// <summary>The registered providers, in registration order.</summary>
    public IReadOnlyList<ProviderRegistration> Providers => Volatile.Read(ref _registrations);

    /// <summary>
    /// The engine's built-in <c>workflow/v1</c> provider (sub-workflows): routed to when no registered provider serves that
    /// protocol, and not listed in <see cref="Providers"/> (it is part of the engine, not a provider of the application's).
    /// </summary>
    internal ProviderRegistration? BuiltIn { get; set; }

    /// <summary>Adds a provider. Ids must be unique.</summary>
    public ProviderRegistration Register(ITaskProvider provider, string? id = null, int? maxConcurrency = null) =>
        Register(new ProviderRegistration(provider, id, maxConcurrency));

    /// <summary>Adds a registration; throws when its id is already registered.</summary>
    public ProviderRegistration Register(ProviderRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        lock (_gate)
        {
            if (_registrations.Any(r => r.Id == registration.Id))
            {
                throw new InvalidOperationException($"A provider with id '{registration.Id}' is already registered; give the second one another id.");
            }
            _registrations = [.. _registrations, registration];
        }
        return registration;
    }

    /// <summary>Finds the provider and method for a task, or throws PROVIDER_NOT_FOUND / METHOD_NOT_FOUND saying what exists.</summary>
    public (ProviderRegistration Registration, MethodDescriptor Method) Resolve(string protocol, string method, string? providerId = null)
    {
        // The array itself, not the IReadOnlyList: a foreach over the interface allocates an enumerator, and every task is
        // resolved at validation and again at run start.
        var all = Volatile.Read(ref _registrations);
        if (providerId is not null)
        {
            foreach (var r in all)
            {
                if (r.Id == providerId)
                {
                    if (!r.Protocol.HasId(protocol))
                    {
                        throw new GleitzeitException(GleitzeitErrorCode.ProviderNotFound,
                            $"Provider '{providerId}' serves {r.Protocol.Id}, not {protocol}.");
                    }
                    return (r, FindMethodOrThrow(r, method));
                }
            }
            // Not a registration id: the protocol's provider may know it (an MCP server name, say).
        }

        ProviderRegistration? first = null;
        foreach (var r in all)
        {
            if (!r.Protocol.HasId(protocol)) continue;
            first ??= r;
            if (r.Protocol.FindMethod(method) is { } m) return (r, m);
        }
        if (first is not null) return (first, FindMethodOrThrow(first, method));
        if (BuiltIn is { } builtIn && builtIn.Protocol.HasId(protocol)) return (builtIn, FindMethodOrThrow(builtIn, method));

        var known = all.Length == 0 ? "none is registered" : "registered: " + string.Join(", ", all.Select(r => r.Id == r.Protocol.Name ? r.Protocol.Id : $"{r.Protocol.Id} ({r.Id})").Distinct());
        throw new GleitzeitException(GleitzeitErrorCode.ProviderNotFound,
            $"No provider for protocol '{protocol}' ({known}). {HintFor(protocol)}".TrimEnd());
    }

    /// <summary>
    /// Resolves a task's provider and method. Among several LLM providers (each an <see cref="Llm.LlmProvider"/>, found
    /// with <c>GetService</c>), a task without <c>provider:</c> goes to the first whose <see cref="Llm.LlmOptions.Models"/>
    /// patterns match its <c>model</c>, else to the first without patterns (the default); a model none serves is
    /// TASK_VALIDATION_FAILED listing the providers and their patterns.
    /// </summary>
    public (ProviderRegistration Registration, MethodDescriptor Method) Resolve(WorkflowTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var llms = LlmProviders(task.Protocol);
        if (llms is null || (llms.Count == 1 && llms[0].Llm.Settings.Models.Count == 0)) return Resolve(task.Protocol, task.Method, task.Provider);
        if (task.Provider is { } named)
        {
            if (IsRegistered(named)) return Resolve(task.Protocol, task.Method, named);
            throw new GleitzeitException(GleitzeitErrorCode.ProviderNotFound,
                $"no LLM provider named '{named}'{Spelling.DidYouMean(named, llms.Select(l => l.Registration.Id))}; configured: {DescribeLlms(llms)}");
        }
        var model = task.Parameters["model"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var m)
            && !m.Contains("${", StringComparison.Ordinal) ? m : null;
        if (model is not null)
        {
            foreach (var (registration, llm) in llms)
            {
                if (llm.Settings.Serves(model) == true) return (registration, FindMethodOrThrow(registration, task.Method));
            }
        }
        foreach (var (registration, llm) in llms)
        {
            if (llm.Settings.Models.Count == 0) return (registration, FindMethodOrThrow(registration, task.Method));
        }
        if (model is null) return (llms[0].Registration, FindMethodOrThrow(llms[0].Registration, task.Method));
        throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
            $"no LLM provider serves model '{model}': configured: {DescribeLlms(llms)}. Name the provider with 'provider: NAME', "
            + "add a matching pattern to a provider's models, or configure a provider without patterns as the default.");
    }

    /// <summary>The LLM providers serving <paramref name="protocol"/>, or null when there is none (every task is resolved
    /// at validation and at run start: the common case allocates nothing).</summary>
    private List<(ProviderRegistration Registration, Llm.LlmProvider Llm)>? LlmProviders(string protocol)
    {
        List<(ProviderRegistration, Llm.LlmProvider)>? list = null;
        foreach (var r in Volatile.Read(ref _registrations))
        {
            if (r.Protocol.HasId(protocol) && r.Provider.GetService(typeof(Llm.LlmProvider)) is Llm.LlmProvider llm) (list ??= []).Add((r, llm));
        }
        return list;
    }

    // Not a lambda in Resolve: its closure would be allocated on every call, named provider or not.
    private bool IsRegistered(string providerId) => Array.Exists(Volatile.Read(ref _registrations), r => r.Id == providerId);

    private static string DescribeLlms(List<(ProviderRegistration Registration, Llm.LlmProvider Llm)> llms) =>
        string.Join(", ", llms.Select(l => l.Llm.Settings.Models.Count == 0
            ? $"'{l.Registration.Id}' (any model: the default)"
            : $"'{l.Registration.Id}' (models {string.Join(", ", l.Llm.Settings.Models)})"));

    private static MethodDescriptor FindMethodOrThrow(ProviderRegistration r, string method) =>
        r.Protocol.FindMethod(method) ?? throw new GleitzeitException(GleitzeitErrorCode.MethodNotFound,
            $"Method '{method}' not found in protocol {r.Protocol.Id}; it has: {string.Join(", ", r.Protocol.Methods.Select(m => m.Name))}.");

    private static string HintFor(string protocol) => protocol switch
    {
        "llm/v1" => "Add one with services.AddGleitzeit().AddOllama() (or register an IChatClient).",
        "python/v1" => "Add one with services.AddGleitzeit().AddPython().",
        "mcp/v1" => "Add one with services.AddGleitzeit().AddMcp(...) and configure a server.",
        _ => "Register an ITaskProvider for it with AddProvider(...).",
    };
}
