using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Samples;

/// <summary>
/// Your own protocol: <c>text/v1</c> with methods <c>text/upper</c> and <c>text/count</c>. Describe the methods and their
/// parameters (the loader checks tasks against them), return a JSON result, throw <see cref="GleitzeitException"/> with a
/// code for failures.
/// </summary>
internal sealed class TextProvider : ITaskProvider
{
    public ProtocolDescriptor Protocol { get; } = new("text", "v1",
    [
        new MethodDescriptor("text/upper", new ParameterSpec("text", ParameterType.String, Required: true, Description: "the text")),
        new MethodDescriptor("text/count", new ParameterSpec("text", ParameterType.String, Required: true), new ParameterSpec("word", ParameterType.String)),
    ], "Small text utilities");

    public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken)
    {
        var text = (string?)invocation.Parameters["text"] ?? "";
        JsonNode? result = invocation.Method switch
        {
            "text/upper" => new JsonObject { ["response"] = text.ToUpperInvariant() },
            "text/count" when invocation.Parameters["word"] is JsonValue w && (string?)w is { Length: > 0 } word =>
                new JsonObject { ["result"] = CountOf(text, word), ["word"] = word },
            "text/count" => new JsonObject { ["result"] = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length },
            _ => throw new GleitzeitException(GleitzeitErrorCode.MethodNotFound, $"text/v1 has no method '{invocation.Method}'."),
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }

    public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProviderHealth.Healthy());

    private static int CountOf(string text, string word)
    {
        var count = 0;
        for (var i = text.IndexOf(word, StringComparison.OrdinalIgnoreCase); i >= 0; i = text.IndexOf(word, i + word.Length, StringComparison.OrdinalIgnoreCase)) count++;
        return count;
    }
}
