using System.Text.Json.Nodes;

namespace Gleitzeit.TestServers.Ollama;

/// <summary>A tool call the scripted model makes: the tool's name and its arguments.</summary>
public sealed record OllamaToolCall(string Name, JsonObject Arguments);
