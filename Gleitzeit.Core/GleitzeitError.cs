using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>An error as stored and reported: a code, a message for people, and optional structured data.</summary>
public sealed record GleitzeitError(GleitzeitErrorCode Code, string Message, JsonNode? Data = null)
{
    /// <summary>Whether retrying the failed operation may succeed (see <see cref="GleitzeitErrorCodes.IsRetryable"/>).</summary>
    public bool IsRetryable => Code.IsRetryable();

    /// <summary>The code's name in SCREAMING_SNAKE_CASE, e.g. <c>PROVIDER_TIMEOUT</c>.</summary>
    public string CodeName => Code.Name();

    /// <c>NAME (number): message</c>.
    public override string ToString() => $"{CodeName} ({(int)Code}): {Message}";

    /// <summary>The JSON-RPC error object <c>{"code","message","data"}</c>.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["code"] = (int)Code, ["message"] = Message };
        if (Data is not null) obj["data"] = Data.DeepClone();
        return obj;
    }
}
