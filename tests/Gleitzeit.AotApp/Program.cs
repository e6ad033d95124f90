using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Providers.Mcp;
using Microsoft.Extensions.DependencyInjection;

// A Native AOT application: loads a workflow file (workflow.yaml beside the executable unless another is named), runs it
// in process with Python, MCP (when an MCP server script is named: the server "everything", started with node) and a
// SQLite store, and prints one JSON line with the run's status, its last task's id and that task's result.
// Usage: Gleitzeit.AotApp DATABASE_PATH [WORKFLOW_YAML [MCP_SERVER_EVERYTHING_JS]]
if (args.Length is < 1 or > 3)
{
    Console.Error.WriteLine("usage: Gleitzeit.AotApp DATABASE_PATH [WORKFLOW_YAML [MCP_SERVER_EVERYTHING_JS]]");
    return 2;
}

var yamlPath = args.Length >= 2 ? args[1] : Path.Combine(AppContext.BaseDirectory, "workflow.yaml");
var services = new ServiceCollection();
var gleitzeit = services.AddGleitzeit().AddPython().AddSqlite(o => o.DatabasePath = args[0]);
if (args.Length == 3)
{
    gleitzeit.AddMcp(o => o.Servers["everything"] = new McpServerOptions { Command = "node", Arguments = [args[2], "stdio"] });
}
await using var provider = services.BuildServiceProvider();
var workflow = WorkflowLoader.LoadFile(yamlPath);
var run = await provider.GetRequiredService<ExecutionEngine>().RunAsync(workflow);

var last = workflow.Tasks[^1].Id;
var output = new JsonObject
{
    ["status"] = run.Status.ToString(),
    ["task"] = last,
    ["result"] = run.GetResult(last)?.DeepClone(),
    ["error"] = run.Tasks.TryGetValue(last, out var task) ? task.Error?.Message : null,
};
Console.WriteLine(output.ToJsonString());
return run.Status == WorkflowStatus.Completed ? 0 : 1;
