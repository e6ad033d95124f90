using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

/// <summary>A JSON-RPC 2.0 request: <c>{"jsonrpc":"2.0","id":...,"method":...,"params":{...}}</c>.</summary>
public sealed record JsonRpcRequest(string Method, JsonObject Params, JsonNode? Id = null)
{
    /// <summary>The request as a JSON-RPC 2.0 object (<c>jsonrpc</c>, <c>method</c>, <c>params</c>, <c>id</c>).</summary>
    public JsonObject ToJson() => new()
    {
        ["jsonrpc"] = "2.0",
        ["id"] = Id?.DeepClone(),
        ["method"] = Method,
        ["params"] = Params.DeepClone(),
    };

    /// <summary>Parses and checks a request; throws <see cref="GleitzeitException"/> (PARSE_ERROR / INVALID_REQUEST).</summary>
    public static JsonRpcRequest Parse(string json)
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
        if (node is not JsonObject obj || (string?)obj["jsonrpc"] != "2.0" || obj["method"] is not JsonValue m || !m.TryGetValue<string>(out var method))
        {
            throw new GleitzeitException(GleitzeitErrorCode.InvalidRequest, "Not a JSON-RPC 2.0 request: need \"jsonrpc\":\"2.0\" and a string \"method\".");
        }
        var parameters = obj["params"] switch
        {
            null => new JsonObject(),
            JsonObject p => (JsonObject)p.DeepClone(),
            _ => throw new GleitzeitException(GleitzeitErrorCode.InvalidRequest, "JSON-RPC \"params\" must be an object."),
        };
        return new JsonRpcRequest(method, parameters, obj["id"]?.DeepClone());
    }
}
