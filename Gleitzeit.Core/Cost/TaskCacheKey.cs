using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Llm;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Cost;

/// <summary>
/// The result cache's key: the lower-case hex SHA-256 of one canonical JSON document
/// <c>{"v":1,"protocol":…,"method":…,"provider":…,"model":…,"parameters":…}</c> where
/// <list type="bullet">
/// <item><c>protocol</c> and <c>method</c> are the task's (<c>llm/v1</c>, <c>llm/chat</c>);</item>
/// <item><c>provider</c> is the id of the provider registration serving it (<c>ollama</c>, <c>python</c>, …), followed by
/// <c>/NAME</c> when the task names a provider instance or server with <c>provider:</c>;</item>
/// <item><c>model</c> is the parameter <c>model</c> when set, else the provider's default model for the method (LLM
/// providers), else empty;</item>
/// <item><c>parameters</c> are the task's parameters after <c>${...}</c> references were resolved (a reference inside text
/// becomes the value's text, as the plain resolver renders it, also for providers that bind values themselves), with the keys
/// of every object sorted (ordinal) and no whitespace; values are compared as written (<c>1</c> and <c>1.0</c> differ).</item>
/// </list>
/// Anything else (the task id, the workflow, priority, retry, timeout) does not change the key, so the same call made by
/// another task or workflow hits the same entry. The content of files named by path is not read.
/// </summary>
public static class TaskCacheKey
{
    /// <summary>The key of a task's call with <paramref name="resolvedParameters"/> on <paramref name="registration"/>.</summary>
    public static string Compute(WorkflowTask task, JsonObject resolvedParameters, ProviderRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(resolvedParameters);
        ArgumentNullException.ThrowIfNull(registration);
        var provider = task.Provider is { Length: > 0 } named && named != registration.Id ? registration.Id + "/" + named : registration.Id;
        return Compute(task.Protocol, task.Method, resolvedParameters, provider, ModelOf(task.Method, resolvedParameters, registration.Provider));
    }

    /// <summary>The key from its parts (see the type's remarks for their meaning).</summary>
    public static string Compute(string protocol, string method, JsonObject resolvedParameters, string providerIdentity, string? model)
    {
        ArgumentNullException.ThrowIfNull(resolvedParameters);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", 1);
            writer.WriteString("protocol", protocol);
            writer.WriteString("method", method);
            writer.WriteString("provider", providerIdentity);
            writer.WriteString("model", model ?? "");
            writer.WritePropertyName("parameters");
            WriteCanonical(writer, resolvedParameters);
            writer.WriteEndObject();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    /// <summary>The model a call uses: its <c>model</c> parameter, else the LLM provider's default for the method.</summary>
    public static string? ModelOf(string method, JsonObject parameters, ITaskProvider provider)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(provider);
        if (parameters["model"] is JsonValue v && v.TryGetValue<string>(out var model)) return model;
        if (provider.GetService(typeof(LlmOptions)) is not LlmOptions options) return null;
        return method switch
        {
            "llm/vision" => options.VisionModel ?? options.DefaultModel,
            "llm/embed" => options.EmbeddingModel,
            _ => options.DefaultModel,
        };
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteCanonical(writer, value);
                }
                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array) WriteCanonical(writer, item);
                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }

    internal static int Utf8Length(JsonNode? result) => result is null ? 4 : Encoding.UTF8.GetByteCount(result.ToJsonString());
}
