using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gleitzeit.Cli.Rendering;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Gleitzeit.Cli.Serving;

/// <summary>
/// <c>gleitzeit mcp serve</c>: the MCP handlers. <c>tools/list</c> lists one tool per workflow file; <c>tools/call</c> runs
/// the workflow in this process's engine with the arguments as inputs, sends a progress notification as each task
/// finishes (when the client asked for progress), and answers with the run's outputs or, for a workflow without
/// outputs, its <c>--json</c> object. A client's cancellation cancels the run.
/// </summary>
internal sealed class WorkflowToolServer(IReadOnlyList<WorkflowTool> tools, ExecutionEngine engine)
{
    private readonly Dictionary<string, WorkflowTool> _byName = tools.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>Loads every <c>*.yaml</c> / <c>*.yml</c> file of the directory (not below it). A file that does not load is
    /// reported through <paramref name="warn"/> and left out; so is a second file with a name already taken.</summary>
    public static IReadOnlyList<WorkflowTool> Load(string directory, ProviderRegistry registry, Action<string> warn)
    {
        var tools = new List<WorkflowTool>();
        var files = Directory.EnumerateFiles(directory, "*.yaml").Concat(Directory.EnumerateFiles(directory, "*.yml")).Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            Workflow workflow;
            try
            {
                workflow = WorkflowLoader.LoadFile(file, registry: registry);
            }
            catch (WorkflowValidationException ex)
            {
                warn($"{file}: not offered, it does not validate: {ex.Errors.Count} problem{(ex.Errors.Count == 1 ? "" : "s")}, first: {ex.Errors[0].Message}");
                continue;
            }
            catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException)
            {
                warn($"{file}: not offered: {ex.Message}");
                continue;
            }
            var name = workflow.Name;
            if (!WorkflowTool.IsValidName(name))
            {
                var sanitized = WorkflowTool.Sanitize(name);
                warn($"{file}: workflow name '{name}' is not a valid MCP tool name (letters, digits, _ - . only); offered as '{sanitized}'.");
                name = sanitized;
            }
            if (tools.Any(t => t.Name == name))
            {
                warn($"{file}: not offered: the tool name '{name}' is already taken by {tools.First(t => t.Name == name).File}.");
                continue;
            }
            tools.Add(WorkflowTool.Create(name, file, workflow));
        }
        return tools;
    }

    public ValueTask<ListToolsResult> ListToolsAsync(RequestContext<ListToolsRequestParams> request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ListToolsResult
        {
            Tools = tools.Select(t => new Tool
            {
                Name = t.Name,
                Title = t.Workflow.Name,
                Description = t.Description,
                InputSchema = JsonSerializer.SerializeToElement(t.InputSchema),
            }).ToList(),
        });

    public async ValueTask<CallToolResult> CallToolAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken)
    {
        var call = request.Params ?? throw new McpProtocolException("tools/call without parameters.", McpErrorCode.InvalidParams);
        if (!_byName.TryGetValue(call.Name, out var tool))
        {
            throw new McpProtocolException($"Unknown tool '{call.Name}'; the tools are: {string.Join(", ", _byName.Keys)}.", McpErrorCode.InvalidParams);
        }
        var (inputs, problem) = tool.BindArguments(call.Arguments);
        if (problem is not null) return Error(problem);

        var events = Channel.CreateUnbounded<WorkflowEvent>(new UnboundedChannelOptions { SingleReader = true });
        var run = engine.RunAsync(tool.Workflow, new RunOptions { Inputs = inputs, OnEvent = e => events.Writer.TryWrite(e) }, cancellationToken);
        _ = run.ContinueWith(static (_, w) => ((ChannelWriter<WorkflowEvent>)w!).TryComplete(), events.Writer, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        if (call.ProgressToken is { } token)
        {
            var total = tool.Workflow.Tasks.Count;
            var defined = tool.Workflow.Tasks.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
            var finished = 0;
            await foreach (var evt in events.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var (taskId, message) = evt switch
                {
                    TaskCompleted c => (c.TaskId, $"{c.TaskId} completed"),
                    TaskFailed f => (f.TaskId, $"{f.TaskId} failed: {f.Error.Message}"),
                    TaskSkipped s => (s.TaskId, $"{s.TaskId} skipped"),
                    _ => ((string?)null, (string?)null),
                };
                // foreach items finish too: progress counts the workflow's own tasks.
                if (taskId is null || !defined.Contains(taskId)) continue;
                finished++;
                try
                {
                    await request.Server.NotifyProgressAsync(token, new ProgressNotificationValue { Progress = finished, Total = total, Message = message }, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    // The client went away: the run's outcome is still awaited (and stored).
                }
            }
        }

        WorkflowRun result;
        try
        {
            result = await run.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (GleitzeitException ex)
        {
            return Error(ex.Message);
        }
        var document = Outcome(result);
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = Output.ToHumanJson(document) }],
            StructuredContent = JsonSerializer.SerializeToElement(document),
            IsError = result.Status != WorkflowStatus.Completed,
        };
    }

    /// <summary>The tool's answer: the run's outputs when the workflow declares some, else the run's <c>--json</c> object.</summary>
    internal static JsonObject Outcome(WorkflowRun run)
    {
        // Outputs exist only for a completed run; a failed or cancelled one answers with the whole --json object (its error).
        if (run.Status != WorkflowStatus.Completed || run.Workflow is not { Outputs.Count: > 0 }) return JsonShapes.Run(run);
        var outputs = new JsonObject();
        foreach (var (name, value) in run.Outputs) outputs[name] = value?.DeepClone();
        return outputs;
    }

    private static CallToolResult Error(string message) => new()
    {
        Content = [new TextContentBlock { Text = message }],
        IsError = true,
    };
}
