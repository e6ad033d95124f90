using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace Gleitzeit.Core.Llm;

/// <summary>
/// The <c>chat MODEL</c> span of one LLM call with the OpenTelemetry GenAI attributes (<c>gen_ai.operation.name</c>,
/// <c>gen_ai.provider.name</c>, <c>gen_ai.request.model</c>, <c>gen_ai.response.model</c>, <c>gen_ai.usage.*</c>, ...), and the
/// <c>gleitzeit.llm.tokens</c> counter. Written here rather than through Microsoft.Extensions.AI's OpenTelemetryChatClient
/// because that package would raise every consumer's Microsoft.Extensions.* floor above 10.0.0; a client you pass to
/// <c>AddLlm</c> may still be wrapped with <c>UseOpenTelemetry()</c> (its spans then nest inside this one).
/// Prompts and answers are never recorded.
/// </summary>
internal static class LlmTelemetry
{
    public static Activity? Start(string operation, string model, string? providerName, ChatOptions options)
    {
        if (!Diagnostics.ActivitySource.HasListeners()) return null;
        var activity = Diagnostics.ActivitySource.StartActivity(operation + " " + model, ActivityKind.Client);
        if (activity is null) return null;
        activity.SetTag("gen_ai.operation.name", operation);
        activity.SetTag("gen_ai.provider.name", providerName);
        activity.SetTag(Diagnostics.GenAiModel, model);
        if (options.Temperature is { } temperature) activity.SetTag("gen_ai.request.temperature", temperature);
        if (options.MaxOutputTokens is { } maxTokens) activity.SetTag("gen_ai.request.max_tokens", maxTokens);
        return activity;
    }

    public static void Completed(Activity? activity, string model, ChatResponse response)
    {
        var input = response.Usage?.InputTokenCount;
        var output = response.Usage?.OutputTokenCount;
        if (Diagnostics.LlmTokens.Enabled)
        {
            if (input is { } i) Diagnostics.LlmTokens.Add(i, new(Diagnostics.GenAiModel, model), new(Diagnostics.GenAiTokenType, "input"));
            if (output is { } o) Diagnostics.LlmTokens.Add(o, new(Diagnostics.GenAiModel, model), new(Diagnostics.GenAiTokenType, "output"));
        }
        if (activity is null) return;
        activity.SetTag("gen_ai.response.model", response.ModelId ?? model);
        if (response.ResponseId is { } id) activity.SetTag("gen_ai.response.id", id);
        if (response.FinishReason is { } reason) activity.SetTag("gen_ai.response.finish_reasons", new[] { reason.Value });
        if (input is { } inTokens) activity.SetTag("gen_ai.usage.input_tokens", inTokens);
        if (output is { } outTokens) activity.SetTag("gen_ai.usage.output_tokens", outTokens);
        activity.SetStatus(ActivityStatusCode.Ok);
        activity.Dispose();
    }

    public static void Failed(Activity? activity, GleitzeitException error)
    {
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.SetTag(Diagnostics.ErrorType, error.Code.Name());
        activity.Dispose();
    }
}
