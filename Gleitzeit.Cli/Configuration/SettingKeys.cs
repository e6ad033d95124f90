namespace Gleitzeit.Cli.Configuration;

internal enum SettingKind
{
    Text,
    Path,
    PositiveInteger,
    Choice,
}

/// <summary>One configuration key: its dotted name in config.yaml, default, environment variable and kind.</summary>
internal sealed record SettingKey(string Name, string Default, SettingKind Kind, string Description, string? EnvironmentVariable = null, string[]? Choices = null);

/// <summary>Every scalar key of config.yaml (ARCHITECTURE §11). MCP servers are a map and kept apart.</summary>
internal static class SettingKeys
{
    public const string Backend = "persistence.backend";
    public const string SqlitePath = "persistence.sqlite.path";
    public const string RedisUrl = "persistence.redis.url";
    public const string OllamaUrl = "providers.ollama.url";
    public const string OllamaDefaultModel = "providers.ollama.default_model";
    public const string OllamaVisionModel = "providers.ollama.vision_model";
    public const string OllamaEmbeddingModel = "providers.ollama.embedding_model";
    public const string OllamaMaxConcurrency = "providers.ollama.max_concurrency";
    public const string OllamaRequestTimeout = "providers.ollama.request_timeout";
    public const string OllamaRequestsPerMinute = "providers.ollama.rate_limit.requests_per_minute";
    public const string OllamaTokensPerMinute = "providers.ollama.rate_limit.tokens_per_minute";
    public const string OpenAIUrl = "providers.openai.url";
    public const string OpenAIApiKeyEnv = "providers.openai.api_key_env";
    public const string OpenAIDefaultModel = "providers.openai.default_model";
    public const string OpenAIModels = "providers.openai.models";
    public const string OpenAIMaxConcurrency = "providers.openai.max_concurrency";

    /// <summary>An API key given directly in the environment (never a config key, never printed).</summary>
    public const string OpenAIApiKeyVariable = "GLEITZEIT_OPENAI_API_KEY";
    public const string PythonInterpreter = "providers.python.interpreter";
    public const string PythonScriptsDir = "providers.python.scripts_dir";
    public const string PythonTimeout = "providers.python.timeout";
    public const string PythonWorkers = "providers.python.workers";
    public const string MaxConcurrentTasks = "execution.max_concurrent_tasks";
    public const string BatchMaxFileSize = "batch.max_file_size";
    public const string BatchMaxConcurrent = "batch.max_concurrent";
    public const string BatchResultsDirectory = "batch.results_directory";

    /// <summary>The map of MCP servers (<c>providers.mcp.servers.NAME: {command, args, env}</c>).</summary>
    public const string McpServers = "providers.mcp.servers";

    public static IReadOnlyList<SettingKey> All { get; } =
    [
        new(Backend, "sqlite", SettingKind.Choice, "Where runs are kept: sqlite, redis or memory (nothing kept after the process ends).", "GLEITZEIT_PERSISTENCE_BACKEND", ["sqlite", "redis", "memory"]),
        new(SqlitePath, "~/.gleitzeit/gleitzeit.db", SettingKind.Path, "SQLite database file.", "GLEITZEIT_SQLITE_PATH"),
        new(RedisUrl, "redis://localhost:6379/0", SettingKind.Text, "Redis server (redis://host:port/db or a StackExchange.Redis configuration string).", "GLEITZEIT_REDIS_URL"),
        new(OllamaUrl, "http://localhost:11434", SettingKind.Text, "Ollama server.", "GLEITZEIT_OLLAMA_URL"),
        new(OllamaDefaultModel, "llama3.2:latest", SettingKind.Text, "Model for llm tasks that name none."),
        new(OllamaVisionModel, "llava:latest", SettingKind.Text, "Model for llm/vision tasks that name none."),
        new(OllamaEmbeddingModel, "nomic-embed-text:latest", SettingKind.Text, "Model for llm/embed tasks that name none."),
        new(OllamaMaxConcurrency, "4", SettingKind.PositiveInteger, "Most Ollama calls at once."),
        new(OllamaRequestTimeout, "300", SettingKind.PositiveInteger, "Seconds one Ollama request may take (loading a large model can take minutes)."),
        new(OllamaRequestsPerMinute, "", SettingKind.PositiveInteger, "Most Ollama calls started per minute (empty: no limit); over it tasks wait, they never fail."),
        new(OllamaTokensPerMinute, "", SettingKind.PositiveInteger, "Most tokens Ollama calls may use per minute (empty: no limit); over it tasks wait."),
        new(OpenAIUrl, "", SettingKind.Text,
            "OpenAI-compatible endpoint (https://api.openai.com/v1, an Azure OpenAI .../openai/v1/ URL, or a local vLLM / LM Studio / llama.cpp server); empty: the openai provider is added only when GLEITZEIT_OPENAI_API_KEY is set.",
            "GLEITZEIT_OPENAI_URL"),
        new(OpenAIApiKeyEnv, "OPENAI_API_KEY", SettingKind.Text, "Environment variable holding the OpenAI API key (GLEITZEIT_OPENAI_API_KEY, when set, wins)."),
        new(OpenAIDefaultModel, "gpt-4o-mini", SettingKind.Text, "Model for tasks sent to the openai provider that name none."),
        new(OpenAIModels, "gpt-*,o1*,o3*,o4*,chatgpt-*", SettingKind.Text, "Comma-separated model patterns routed to the openai provider (others go to Ollama unless a task says provider: openai)."),
        new(OpenAIMaxConcurrency, "8", SettingKind.PositiveInteger, "Most OpenAI calls at once."),
        new(PythonInterpreter, "python3", SettingKind.Text, "Python interpreter for python/execute.", "GLEITZEIT_PYTHON"),
        new(PythonScriptsDir, ".", SettingKind.Path, "Directory that python/execute 'file' paths resolve against when the workflow gives no directory."),
        new(PythonTimeout, "30", SettingKind.PositiveInteger, "Default python/execute timeout in seconds."),
        new(PythonWorkers, "2", SettingKind.PositiveInteger, "Warm python worker processes."),
        new(MaxConcurrentTasks, "8", SettingKind.PositiveInteger, "Most tasks running at once."),
        new(BatchMaxFileSize, "1048576", SettingKind.PositiveInteger, "Largest text file a batch reads, in bytes."),
        new(BatchMaxConcurrent, "5", SettingKind.PositiveInteger, "Files a batch processes at once (batch --concurrency overrides)."),
        new(BatchResultsDirectory, "~/.gleitzeit/batch_results", SettingKind.Path, "Where batch results are saved when --output is not given."),
    ];

    public static SettingKey? Find(string name) => All.FirstOrDefault(k => k.Name == name);
}
