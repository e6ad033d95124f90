using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Persistence.Sqlite.Writing;

internal sealed class CreateRunOp : WriteOp
{
    private readonly WorkflowRun _run;
    private readonly string? _definition;
    private readonly string _inputs;
    private readonly string? _error;
    private readonly TaskRow[] _tasks;

    /// <summary>Serializes on the caller's thread: the writer thread is the one serial part of the store.</summary>
    public CreateRunOp(WorkflowRun run, DateTimeOffset now)
    {
        _run = run;
        _definition = run.Workflow is { } wf ? StoreJson.ToJson(wf).ToJsonString() : null;
        _inputs = new JsonObject(run.Inputs.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))).ToJsonString();
        _error = TaskRow.Json(run.Error);
        var ids = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in run.Workflow?.Tasks ?? [])
        {
            if (seen.Add(t.Id)) ids.Add(t.Id);
        }
        foreach (var id in run.Tasks.Keys)
        {
            if (seen.Add(id)) ids.Add(id);
        }
        _tasks = ids.Select(id => new TaskRow(run.Tasks.TryGetValue(id, out var t) ? t : TaskResult.Pending(id), now)).ToArray();
    }

    public override int Apply(SqliteStatements statements)
    {
        if (statements.RunExists(_run.WorkflowId))
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowAlreadyExists, $"A run with id '{_run.WorkflowId}' already exists.");
        }
        statements.InsertRun(_run, _definition, _inputs, _error, _tasks.Length);
        for (var i = 0; i < _tasks.Length; i++) statements.InsertTask(_run.WorkflowId, _tasks[i], i);
        statements.InsertEvent(_run.WorkflowId, null, StatusNames.Of(_run.Status), _run.CreatedAt.UtcTicks, 0, null);
        return 1;
    }
}
