using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

/// <summary>A JSON-RPC 2.0 response: exactly one of <see cref="Result"/> or <see cref="Error"/>.</summary>
public sealed record JsonRpcResponse(JsonNode? Id, JsonNode? Result, GleitzeitError? Error)
{
    /// <summary>A successful response to the request <paramref name="id"/>.</summary>
    public static JsonRpcResponse Success(JsonNode? id, JsonNode? result) => new(id, result, null);

    /// <summary>An error response to the request <paramref name="id"/>.</summary>
    public static JsonRpcResponse Failure(JsonNode? id, GleitzeitError error) => new(id, null, error);

    /// <summary>The response as a JSON-RPC 2.0 object, with <c>result</c> or <c>error</c>.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = Id?.DeepClone() };
        if (Error is not null) obj["error"] = Error.ToJson();
        else obj["result"] = Result?.DeepClone();
        return obj;
    }

    /// <summary>Parses a response; an error object keeps its numeric code even when it is not one of ours.</summary>
    public static JsonRpcResponse Parse(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new GleitzeitException(GleitzeitErrorCode.ParseError, $"Not valid JSON: {ex.Message}", ex);
        }
        if (node is not JsonObject obj || (string?)obj["jsonrpc"] != "2.0")
        {
            throw new GleitzeitException(GleitzeitErrorCode.InvalidRequest, "Not a JSON-RPC 2.0 response.");
        }
        var id = obj["id"]?.DeepClone();
        if (obj["error"] is JsonObject err)
        {
            var code = err["code"] is JsonValue c && c.TryGetValue<int>(out var n) ? (GleitzeitErrorCode)n : GleitzeitErrorCode.InternalError;
            return Failure(id, new GleitzeitError(code, (string?)err["message"] ?? "unknown error", err["data"]?.DeepClone()));
        }
        return Success(id, obj["result"]?.DeepClone());
    }
}
