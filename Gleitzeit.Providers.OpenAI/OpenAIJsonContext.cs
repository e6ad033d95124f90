using System.Text.Json.Serialization;

namespace Gleitzeit.Providers.OpenAI;

[JsonSerializable(typeof(string))]
internal sealed partial class OpenAIJsonContext : JsonSerializerContext;
