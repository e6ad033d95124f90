using System.Text.RegularExpressions;

namespace Gleitzeit.Cli.Rendering;

/// <summary>
/// Rewrites messages that come from the library and its providers into the CLI's words. The library's advice names its
/// option classes and registration calls (<c>OllamaOptions.Endpoint</c>, <c>services.AddGleitzeit().AddMcp(...)</c>), which
/// a CLI user cannot set: each becomes the config key, environment variable or flag that sets the same thing, or, for the
/// few limits the CLI has no key for, a plain description. Applied to every error, hint and provider message the CLI prints.
/// </summary>
internal static partial class CliVocabulary
{
    private const string McpServerKey = "providers.mcp.servers.NAME in config.yaml (command, args, env), or set GLEITZEIT_MCP_SERVER_PATH to a server script";

    /// <summary>Whole phrases first (their wording changes), then single option names, in order.</summary>
    private static readonly (Regex Pattern, string Replacement)[] Rules =
    [
        (new(@"Add one with services\.AddGleitzeit\(\)\.AddOllama\(\) \(or register an IChatClient\)\.", RegexOptions.CultureInvariant),
            "Point providers.ollama.url (GLEITZEIT_OLLAMA_URL) at an Ollama server."),
        (new(@"Add one with services\.AddGleitzeit\(\)\.AddPython\(\)\.", RegexOptions.CultureInvariant),
            "Set providers.python.interpreter (GLEITZEIT_PYTHON) to a Python 3 interpreter."),
        (new(@"Add one with services\.AddGleitzeit\(\)\.AddMcp\(\.\.\.\) and configure a server\.", RegexOptions.CultureInvariant),
            "Configure an MCP server under " + McpServerKey + "."),
        (new(@"Register an ITaskProvider for it with AddProvider\(\.\.\.\)\.", RegexOptions.CultureInvariant),
            "The CLI provides the llm, python and mcp protocols only; check the task's method."),
        (new(@"add one with AddMcp\(.*?\) or in the CLI config under providers\.mcp\.servers\.", RegexOptions.CultureInvariant),
            "configure one under " + McpServerKey + "."),
        (new(@"OllamaOptions\.Endpoint \(GLEITZEIT_OLLAMA_URL for the CLI\)", RegexOptions.CultureInvariant), "providers.ollama.url (GLEITZEIT_OLLAMA_URL)"),
        (new(@"GLEITZEIT_PYTHON or PythonOptions\.Interpreter", RegexOptions.CultureInvariant), "providers.python.interpreter (GLEITZEIT_PYTHON)"),
        (new(@", or raise GleitzeitOptions\.MaxWorkflowFileBytes", RegexOptions.CultureInvariant), ""),
        (new(@"\(DatabasePath, GLEITZEIT_SQLITE_PATH\)", RegexOptions.CultureInvariant), "(persistence.sqlite.path or GLEITZEIT_SQLITE_PATH)"),
        (new(@"McpOptions\.Servers\[\\?""(?<name>[^""\\]*)\\?""\]\.Command \(config: providers\.mcp\.servers\.[^)]*\)", RegexOptions.CultureInvariant), "providers.mcp.servers.${name}.command"),
        (new(@"McpOptions\.Servers\[\\?""(?<name>[^""\\]*)\\?""\]\.Command", RegexOptions.CultureInvariant), "providers.mcp.servers.${name}.command"),
        (new(@"McpOptions\.Servers\[\\?""(?<name>[^""\\]*)\\?""\]\.Arguments", RegexOptions.CultureInvariant), "providers.mcp.servers.${name}.args"),
        (new(@"McpOptions\.Servers\[\\?""(?<name>[^""\\]*)\\?""\]\.Environment", RegexOptions.CultureInvariant), "providers.mcp.servers.${name}.env"),
        (new(@"McpOptions\.Servers\[\\?""(?<name>[^""\\]*)\\?""\]", RegexOptions.CultureInvariant), "providers.mcp.servers.${name}"),
        (new(@"\bMcpOptions\.Servers\b", RegexOptions.CultureInvariant), "providers.mcp.servers"),
        (new(@"\bMcpServerOptions\.CallTimeout\b", RegexOptions.CultureInvariant), "the MCP tool call timeout"),
        (new(@"\bMcpServerOptions\.ConnectTimeout\b", RegexOptions.CultureInvariant), "the MCP connect timeout"),
        (new(@"\b(?:Ollama|Llm)Options\.Endpoint\b", RegexOptions.CultureInvariant), "providers.ollama.url (GLEITZEIT_OLLAMA_URL)"),
        (new(@"\b(?:Ollama|Llm)Options\.DefaultModel\b", RegexOptions.CultureInvariant), "providers.ollama.default_model (or --model)"),
        (new(@"\b(?:Ollama|Llm)Options\.VisionModel\b", RegexOptions.CultureInvariant), "providers.ollama.vision_model (or --model)"),
        (new(@"\b(?:Ollama|Llm)Options\.EmbeddingModel\b", RegexOptions.CultureInvariant), "providers.ollama.embedding_model (or --model)"),
        (new(@"\bOllamaOptions\.MaxConcurrency\b", RegexOptions.CultureInvariant), "providers.ollama.max_concurrency"),
        (new(@"\bOllamaOptions\.RequestTimeout\b", RegexOptions.CultureInvariant), "providers.ollama.request_timeout"),
        (new(@"\b(?:Ollama|Llm)Options\.MaxFileBytes\b", RegexOptions.CultureInvariant), "the limit for a text file"),
        (new(@"\b(?:Ollama|Llm)Options\.MaxImageBytes\b", RegexOptions.CultureInvariant), "the limit for an image"),
        (new(@"\bOllamaOptions\.KeepAlive\b", RegexOptions.CultureInvariant), "the model keep-alive"),
        (new(@"\bPythonOptions\.Interpreter\b", RegexOptions.CultureInvariant), "providers.python.interpreter (GLEITZEIT_PYTHON)"),
        (new(@"\bPythonOptions\.ScriptsDirectory\b", RegexOptions.CultureInvariant), "config key providers.python.scripts_dir"),
        (new(@"\bPythonOptions\.DefaultTimeout\b", RegexOptions.CultureInvariant), "providers.python.timeout (or the task's timeout)"),
        (new(@"\bPythonOptions\.Workers\b", RegexOptions.CultureInvariant), "providers.python.workers"),
        (new(@"\bPythonOptions\.MemoryLimitBytes\b", RegexOptions.CultureInvariant), "the worker memory limit"),
        (new(@"\bPythonOptions\.MaxOutputBytes\b", RegexOptions.CultureInvariant), "the output limit"),
        (new(@"\bGleitzeitOptions\.MaxConcurrency\b", RegexOptions.CultureInvariant), "execution.max_concurrent_tasks"),
        (new(@"\bGleitzeitOptions\.MaxWorkflowFileBytes\b", RegexOptions.CultureInvariant), "the workflow file size limit"),
        (new(@"\bGleitzeitWorkerOptions\.Concurrency\b", RegexOptions.CultureInvariant), "worker --concurrency"),
        (new(@"\bBatchOptions\.MaxFileSize\b", RegexOptions.CultureInvariant), "batch.max_file_size"),
        (new(@"\bBatchOptions\.MaxConcurrent\b", RegexOptions.CultureInvariant), "batch.max_concurrent (or batch --concurrency)"),
        (new(@"\bBatchOptions\.ResultsDirectory\b", RegexOptions.CultureInvariant), "batch.results_directory"),
        (new(@"\bSqliteStoreOptions\.DatabasePath\b", RegexOptions.CultureInvariant), "persistence.sqlite.path (GLEITZEIT_SQLITE_PATH)"),
        (new(@"\bRedisStoreOptions\.Configuration\b", RegexOptions.CultureInvariant), "persistence.redis.url (GLEITZEIT_REDIS_URL)"),
    ];

    /// <summary>Whether a text still names a library option class member (<c>XxxOptions.Member</c>) or a registration call.</summary>
    public static bool NamesLibraryOption(string text) => LibraryName().IsMatch(text);

    public static string Translate(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        if (!text.Contains("Options", StringComparison.Ordinal) && !text.Contains("Add", StringComparison.Ordinal) && !text.Contains("Register", StringComparison.Ordinal)
            && !text.Contains("DatabasePath", StringComparison.Ordinal))
        {
            return text;
        }
        foreach (var (pattern, replacement) in Rules) text = pattern.Replace(text, replacement);
        return text;
    }

    [GeneratedRegex(@"\b[A-Z][A-Za-z]*Options\.[A-Z][A-Za-z]*|\bDatabasePath\b|services\.AddGleitzeit\(\)|\bAdd(?:Mcp|Ollama|Python|Provider)\(", RegexOptions.CultureInvariant)]
    private static partial Regex LibraryName();
}
