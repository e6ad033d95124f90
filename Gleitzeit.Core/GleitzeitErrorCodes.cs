using System.Collections.Frozen;

namespace Gleitzeit.Core;

/// <summary>Facts about error codes: wire names (<c>TASK_TIMEOUT</c>) and whether a retry can help.</summary>
public static class GleitzeitErrorCodes
{
    private static readonly FrozenSet<GleitzeitErrorCode> Retryable = new[]
    {
        GleitzeitErrorCode.SystemOverloaded,
        GleitzeitErrorCode.ResourceExhausted,
        GleitzeitErrorCode.ProviderNotAvailable,
        GleitzeitErrorCode.ProviderUnhealthy,
        GleitzeitErrorCode.ProviderOverloaded,
        GleitzeitErrorCode.ProviderTimeout,
        GleitzeitErrorCode.ProviderRateLimited,
        GleitzeitErrorCode.LlmOutputInvalid,
        GleitzeitErrorCode.TaskTimeout,
        GleitzeitErrorCode.QueueFull,
        GleitzeitErrorCode.PersistenceConnectionFailed,
        GleitzeitErrorCode.NetworkError,
        GleitzeitErrorCode.NetworkConnectionFailed,
        GleitzeitErrorCode.NetworkTimeout,
        GleitzeitErrorCode.NetworkConnectionLost,
    }.ToFrozenSet();

    private static readonly FrozenDictionary<GleitzeitErrorCode, string> Names =
        Enum.GetValues<GleitzeitErrorCode>().ToFrozenDictionary(c => c, ToWireName);

    /// <summary>True for transient failures (timeouts, overload, rate limits, lost connections).</summary>
    public static bool IsRetryable(this GleitzeitErrorCode code) => Retryable.Contains(code);

    /// <summary>The original's upper snake case name, e.g. <c>TASK_DEPENDENCY_FAILED</c>.</summary>
    public static string Name(this GleitzeitErrorCode code) =>
        Names.TryGetValue(code, out var name) ? name : ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string ToWireName(GleitzeitErrorCode code)
    {
        var name = code.ToString();
        if (code == GleitzeitErrorCode.WorkflowCircularDependency) return "CIRCULAR_DEPENDENCY";
        var sb = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(name[i]));
        }
        return sb.ToString();
    }
}
