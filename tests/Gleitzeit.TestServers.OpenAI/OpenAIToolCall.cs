using System.Text.Json.Nodes;

namespace Gleitzeit.TestServers.OpenAI;

/// <summary>A tool call the scripted model makes.</summary>
public sealed record OpenAIToolCall(string Name, JsonObject Arguments);
