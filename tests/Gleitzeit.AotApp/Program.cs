using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;

// A Native AOT application: loads workflow.yaml (beside the executable, or the path given second), runs it in process
// with Python and a SQLite store, and prints one JSON line with the run's status, its last task's id and that task's result.
// Usage: Gleitzeit.AotApp DATABASE_PATH [WORKFLOW_YAML]
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: Gleitzeit.AotApp DATABASE_PATH [WORKFLOW_YAML]");
    return 2;
}

var yamlPath = args.Length == 2 ? args[1] : Path.Combine(AppContext.BaseDirectory, "workflow.yaml");
var services = new ServiceCollection();
services.AddGleitzeit().AddPython().AddSqlite(o => o.DatabasePath = args[0]);
await using var provider = services.BuildServiceProvider();
var workflow = WorkflowLoader.LoadFile(yamlPath);
var run = await provider.GetRequiredService<ExecutionEngine>().RunAsync(workflow);

var output = new JsonObject
{
    ["status"] = run.Status.ToString(),
    ["task"] = workflow.Tasks[^1].Id,
    ["result"] = run.GetResult(workflow.Tasks[^1].Id)?.DeepClone(),
};
Console.WriteLine(output.ToJsonString());
return run.Status == WorkflowStatus.Completed ? 0 : 1;
