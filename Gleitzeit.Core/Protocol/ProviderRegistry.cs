namespace Gleitzeit.Core.Protocol;

/// <summary>
/// Routes a task to its provider by the task's <c>provider</c> field, else by protocol, and checks the method
/// and its parameters before anything is called.
/// </summary>
public sealed class ProviderRegistry
{
    private readonly Lock _gate = new();
    private ProviderRegistration[] _registrations;

    public ProviderRegistry(IEnumerable<ProviderRegistration> registrations)
    {
        _registrations = [];
        foreach (var r in registrations) Register(r);
    }

    public ProviderRegistry() : this([]) { }

    public IReadOnlyList<ProviderRegistration> Providers => Volatile.Read(ref _registrations);

    /// <summary>
    /// The engine's built-in <c>workflow/v1</c> provider (sub-workflows): routed to when no registered provider serves that
    /// protocol, and not listed in <see cref="Providers"/> (it is part of the engine, not a provider of the application's).
    /// </summary>
    internal ProviderRegistration? BuiltIn { get; set; }

    /// <summary>Adds a provider. Ids must be unique.</summary>
    public ProviderRegistration Register(ITaskProvider provider, string? id = null, int? maxConcurrency = null) =>
        Register(new ProviderRegistration(provider, id, maxConcurrency));

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
        var all = Providers;
        if (providerId is not null)
        {
            foreach (var r in all)
            {
                if (r.Id == providerId)
                {
                    if (r.Protocol.Id != protocol)
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
            if (r.Protocol.Id != protocol) continue;
            first ??= r;
            if (r.Protocol.FindMethod(method) is { } m) return (r, m);
        }
        if (first is not null) return (first, FindMethodOrThrow(first, method));
        if (BuiltIn is { } builtIn && builtIn.Protocol.Id == protocol) return (builtIn, FindMethodOrThrow(builtIn, method));

        var known = all.Count == 0 ? "none is registered" : "registered: " + string.Join(", ", all.Select(r => r.Id == r.Protocol.Name ? r.Protocol.Id : $"{r.Protocol.Id} ({r.Id})").Distinct());
        throw new GleitzeitException(GleitzeitErrorCode.ProviderNotFound,
            $"No provider for protocol '{protocol}' ({known}). {HintFor(protocol)}".TrimEnd());
    }

    /// <summary>Resolves a task's provider and method.</summary>
    public (ProviderRegistration Registration, MethodDescriptor Method) Resolve(WorkflowTask task) => Resolve(task.Protocol, task.Method, task.Provider);

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
