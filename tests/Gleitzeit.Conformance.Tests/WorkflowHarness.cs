using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Providers.Mcp;
using Gleitzeit.Providers.Ollama;
using Gleitzeit.Providers.Python;
using Gleitzeit.Testing;
using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Conformance.Tests;

/// <summary>
/// A temp copy of a folder of workflow files and an engine with everything they need: the Ollama-API test server,
/// python3, our MCP test server (echo/add/multiply/concat) and an <c>echo/v1</c> provider.
/// </summary>
internal sealed class WorkflowHarness : IAsyncDisposable
{
    private readonly OllamaTestServer _ollama;
    private readonly OllamaProvider _llm;
    private readonly PythonProvider _python;
    private readonly McpProvider _mcp;

    private WorkflowHarness(string root, OllamaTestServer ollama)
    {
        Root = root;
        _ollama = ollama;
        _llm = new OllamaProvider(new OllamaOptions { Endpoint = ollama.BaseUri });
        _python = new PythonProvider();
        var mcp = new McpOptions();
        mcp.Servers["tools"] = new McpServerOptions { Command = Locations.DotNet, Arguments = [Locations.McpTestServer] };
        _mcp = new McpProvider(mcp);
        Registry = new ProviderRegistry();
        Registry.Register(_llm);
        Registry.Register(_python);
        Registry.Register(_mcp);
        Registry.Register(DelegateProvider.Echo());
        Engine = new ExecutionEngine(Registry);
    }

    /// <summary>The temp copy: the base directory of every run.</summary>
    public string Root { get; }

    public ProviderRegistry Registry { get; }

    public ExecutionEngine Engine { get; }

    /// <summary>Copies <paramref name="source"/> to a temp folder (plus the original examples' scripts when asked) and starts the providers.</summary>
    public static async Task<WorkflowHarness> StartAsync(string source, bool withOriginalScripts)
    {
        var root = Directory.CreateTempSubdirectory("gleitzeit-conformance-").FullName;
        TestData.CopyDirectory(source, root);
        if (withOriginalScripts) OriginalExampleScripts.WriteTo(root);
        return new WorkflowHarness(root, await OllamaTestServer.StartAsync());
    }

    /// <summary>Loads a file of the copy (path relative to it) and runs it.</summary>
    public async Task<WorkflowRun> RunAsync(string file) =>
        await Engine.RunAsync(WorkflowLoader.LoadFile(Path.Combine(Root, file), baseDirectory: Root, registry: Registry));

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        await _mcp.DisposeAsync();
        await _python.DisposeAsync();
        await _llm.DisposeAsync();
        await _ollama.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}
