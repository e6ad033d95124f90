using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.AI;

namespace Gleitzeit.Core.Llm;

/// <summary>
/// Runs the model's tool calls for one task attempt (as <see cref="FunctionInvokingChatClient.FunctionInvoker"/>): counts
/// them against <c>max_tool_calls</c>, reports each as a progress event and records it for the result's <c>tool_calls</c>.
/// A failing tool's error goes back to the model (function invocation's own behaviour) and is recorded.
/// </summary>
internal sealed class ToolCallRecorder(TaskInvocation invocation, int maxToolCalls)
{
    private readonly Lock _gate = new();
    private readonly JsonArray _calls = [];
    private int _count;

    /// <summary>Set when the model asked for one call more than allowed: the count and the refused call.</summary>
    public (int Count, string Tool, string Arguments)? Exceeded { get; private set; }

    public JsonArray Calls
    {
        get
        {
            lock (_gate) return (JsonArray)_calls.DeepClone();
        }
    }

    public async ValueTask<object?> InvokeAsync(FunctionInvocationContext context, CancellationToken cancellationToken)
    {
        var arguments = ArgumentsJson(context.Arguments);
        var count = Interlocked.Increment(ref _count);
        if (count > maxToolCalls)
        {
            Exceeded ??= (count, context.Function.Name, arguments.ToJsonString());
            context.Terminate = true;
            return $"Refused: this task allows at most {maxToolCalls} tool calls.";
        }
        var started = Stopwatch.GetTimestamp();
        object? result = null;
        Exception? error = null;
        try
        {
            result = await context.Function.InvokeAsync(context.Arguments, cancellationToken).ConfigureAwait(false);
            return result is ToolOutcome outcome ? outcome.Text : result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = ex;
            throw;
        }
        finally
        {
            var duration = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3);
            var entry = new JsonObject
            {
                ["tool"] = context.Function.Name,
                ["arguments"] = arguments,
                ["result"] = error is null ? ResultJson(result) : null,
                ["duration_ms"] = duration,
            };
            var isError = error is not null || result is ToolOutcome { IsError: true };
            if (isError) entry["error"] = error?.Message ?? (result as ToolOutcome)?.Text;
            lock (_gate) _calls.Add((JsonNode)entry);
            if (invocation.HasProgressListener)
            {
                invocation.ReportProgress(TaskProgressKind.ToolCall, new JsonObject
                {
                    ["tool"] = context.Function.Name,
                    ["arguments"] = arguments.DeepClone(),
                    ["duration_ms"] = duration,
                    ["is_error"] = isError,
                }.ToJsonString());
            }
        }
    }

    private static JsonObject ArgumentsJson(AIFunctionArguments? arguments)
    {
        var o = new JsonObject();
        if (arguments is null) return o;
        foreach (var (name, value) in arguments) o[name] = ToNode(value);
        return o;
    }

    private static JsonNode? ResultJson(object? result) => result switch
    {
        ToolOutcome t => t.Result?.DeepClone(),
        _ => ToNode(result),
    };

    internal static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonNode n => n.DeepClone(),
        JsonElement e => JsonNode.Parse(e.GetRawText()),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create(f),
        decimal m => JsonValue.Create(m),
        _ => JsonValue.Create(value.ToString()),
    };
}
