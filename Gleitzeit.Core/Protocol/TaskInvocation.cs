using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Protocol;

/// <summary>What a provider receives for one task attempt: the JSON-RPC request and where it comes from.</summary>
public sealed class TaskInvocation
{
    private readonly Action<TaskProgressUpdate>? _progress;

    /// <summary>Creates the invocation of attempt <paramref name="attempt"/> of a task; <paramref name="progress"/> receives its streamed updates.</summary>
    public TaskInvocation(JsonRpcRequest request, string workflowId, string taskId, int attempt = 1, Action<TaskProgressUpdate>? progress = null)
    {
        Request = request;
        WorkflowId = workflowId;
        TaskId = taskId;
        Attempt = attempt;
        _progress = progress;
    }

    /// <summary>The JSON-RPC 2.0 request: method, resolved parameters, id (the task id).</summary>
    public JsonRpcRequest Request { get; }

    /// <summary>The method to call, e.g. <c>llm/chat</c>.</summary>
    public string Method => Request.Method;

    /// <summary>Resolved parameters (every <c>${...}</c> replaced). Treat as read-only.</summary>
    public JsonObject Parameters => Request.Params;

    /// <summary>The id of the run the task belongs to.</summary>
    public string WorkflowId { get; }

    /// <summary>The task's id.</summary>
    public string TaskId { get; }

    /// <summary>1 for the first attempt.</summary>
    public int Attempt { get; }

    /// <summary>The task's <c>provider</c> field: which configured instance (e.g. which MCP server) it asked for.</summary>
    public string? Provider { get; init; }

    /// <summary>Directory that relative file paths in parameters resolve against.</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>The iteration of a <c>loop</c> task this attempt runs (1 for the first; 0 for a task without a loop).</summary>
    internal int Iteration { get; init; }

    /// <summary>Whether anyone listens to progress; skip building progress text when not.</summary>
    public bool HasProgressListener => _progress is not null;

    /// <summary>Reports progress (a streamed token, an output line) while the task runs. Never stored.</summary>
    public void ReportProgress(TaskProgressKind kind, string text) => _progress?.Invoke(new TaskProgressUpdate(kind, text));

    /// <summary>Resolves a path parameter against <see cref="BaseDirectory"/>.</summary>
    public string ResolvePath(string path) =>
        Path.IsPathRooted(path) || BaseDirectory is null ? Path.GetFullPath(path) : Path.GetFullPath(Path.Combine(BaseDirectory, path));
}
