namespace Gleitzeit.TestServers.Ollama;

/// <summary>A model the <see cref="OllamaTestServer"/> reports as installed (in <c>/api/tags</c> and <c>/api/show</c>).</summary>
/// <param name="Name">Full name with tag, e.g. <c>llama3.2:latest</c>; a name without a tag gets <c>:latest</c>.</param>
/// <param name="Capabilities">As <c>/api/show</c> reports them: <c>completion</c>, <c>vision</c>, <c>embedding</c>, <c>tools</c>.</param>
public sealed record OllamaTestModel(string Name, string Family = "llama", string ParameterSize = "3.2B", IReadOnlyList<string>? Capabilities = null, long Size = 2_019_393_189)
{
    /// <summary>The name Ollama uses: with <c>:latest</c> added when no tag is given.</summary>
    public string FullName => OllamaTestServer.Normalize(Name);

    /// <summary>What the server installs when none are given: <c>llama3.2:latest</c>, <c>llava:latest</c>, <c>nomic-embed-text:latest</c>.</summary>
    public static IReadOnlyList<OllamaTestModel> Defaults { get; } =
    [
        new("llama3.2:latest", Capabilities: ["completion", "tools"]),
        new("llava:latest", Family: "llama", ParameterSize: "7B", Capabilities: ["completion", "vision"], Size: 4_733_363_377),
        new("nomic-embed-text:latest", Family: "nomic-bert", ParameterSize: "137M", Capabilities: ["embedding"], Size: 274_302_450),
    ];
}
