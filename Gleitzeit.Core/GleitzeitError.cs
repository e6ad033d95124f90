using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>An error as stored and reported: a code, a message for people, and optional structured data.</summary>
public sealed record GleitzeitError(GleitzeitErrorCode Code, string Message, JsonNode? Data = null)
{
    public bool IsRetryable => Code.IsRetryable();

    public string CodeName => Code.Name();

    public override string ToString() => $"{CodeName} ({(int)Code}): {Message}";

    /// <summary>The JSON-RPC error object <c>{"code","message","data"}</c>.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["code"] = (int)Code, ["message"] = Message };
        if (Data is not null) obj["data"] = Data.DeepClone();
        return obj;
    }
}
