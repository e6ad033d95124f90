using Gleitzeit.Core.Execution;

namespace Gleitzeit.Core.Tests.Cost;

public class RetryTests
{
    private const string Chain = """
        name: chain
        tasks:
          - { id: fetch, method: llm/chat, params: { prompt: fetch } }
          - { id: summarize, method: llm/chat, dependencies: [fetch], params: { prompt: "sum ${fetch.response}" } }
          - { id: publish, method: llm/chat, dependencies: [summarize], params: { prompt: "pub ${summarize.response}" } }
          - { id: side, method: llm/chat, params: { prompt: side } }
        """;

    [Test]
    public async Task Retry_from_a_task_keeps_upstream_and_independent_results_and_links_the_runs()
    {
        await using var h = new CostHarness();
        var first = (await h.Engine.RunAsync(h.Load(Chain))).EnsureSucceeded();
        h.Client.Prompts.Clear();
        var retry = (await h.Engine.RetryAsync(first.WorkflowId, "summarize")).EnsureSucceeded();

        Assert.That(h.Client.Prompts, Is.EqualTo(new[] { "sum echo: fetch", "pub echo: sum echo: fetch" }));
        Assert.That(retry.WorkflowId, Is.Not.EqualTo(first.WorkflowId));
        Assert.That(retry.RetryOf, Is.EqualTo(first.WorkflowId));
        Assert.That(retry.Tasks["fetch"].CompletedAt, Is.EqualTo(first.Tasks["fetch"].CompletedAt), "kept as it was");
        Assert.That((await h.Engine.Store.GetRunAsync(retry.WorkflowId))!.RetryOf, Is.EqualTo(first.WorkflowId), "the link is stored");
    }

    [Test]
    public async Task Retry_with_an_edited_workflow_reruns_changed_tasks_and_their_dependents()
    {
        await using var h = new CostHarness();
        var first = (await h.Engine.RunAsync(h.Load(Chain))).EnsureSucceeded();
        h.Client.Prompts.Clear();
        var edited = h.Load(Chain.Replace("prompt: side", "prompt: side2").Replace("\"pub ${summarize.response}\"", "\"publish ${summarize.response}\""));
        var retry = (await h.Engine.RetryAsync(first.WorkflowId, workflow: edited)).EnsureSucceeded();

        Assert.That(h.Client.Prompts, Is.EquivalentTo(new[] { "side2", "publish echo: sum echo: fetch" }));
        Assert.That(retry.Workflow!.FindTask("side")!.Parameters["prompt"]!.GetValue<string>(), Is.EqualTo("side2"));
    }

    [Test]
    public async Task Retry_from_with_an_edited_file_combines_both()
    {
        await using var h = new CostHarness();
        var first = (await h.Engine.RunAsync(h.Load(Chain))).EnsureSucceeded();
        h.Client.Prompts.Clear();
        var edited = h.Load(Chain.Replace("prompt: side", "prompt: side2"));
        await h.Engine.RetryAsync(first.WorkflowId, "publish", edited);

        Assert.That(h.Client.Prompts, Is.EquivalentTo(new[] { "side2", "pub echo: sum echo: fetch" }));
    }

    [Test]
    public async Task Retry_of_a_failed_run_reruns_only_what_did_not_complete()
    {
        await using var h = new CostHarness();
        var workflow = h.Load("""
            name: flaky
            tasks:
              - { id: ok, method: python/execute, params: { value: 1 } }
              - { id: ask, method: llm/chat, dependencies: [ok], params: { prompt: ask } }
              - { id: after, method: llm/chat, dependencies: [ask], params: { prompt: after } }
            """);
        h.Client.Failure = new InvalidOperationException("down");
        var failed = await h.Engine.RunAsync(workflow);
        h.Client.Failure = null;
        var retry = (await h.Engine.RetryAsync(failed.WorkflowId)).EnsureSucceeded();

        Assert.That(failed.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(h.PythonCalls, Is.EqualTo(1), "ok is kept");
        Assert.That(retry.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
    }

    [Test]
    public async Task An_unknown_from_task_is_refused_with_the_nearest_id()
    {
        await using var h = new CostHarness();
        var first = await h.Engine.RunAsync(h.Load(Chain));
        var ex = (await Assert.ThrowsAsync<GleitzeitException>(() => h.Engine.RetryAsync(first.WorkflowId, "sumarize")))!;
        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.TaskNotFound));
        Assert.That(ex.Message, Does.Contain("did you mean 'summarize'?"));
    }

    [Test]
    public async Task A_run_still_running_is_refused()
    {
        await using var h = new CostHarness();
        h.Client.Hold = true;
        var id = await h.Engine.SubmitAsync(h.Load(Chain));
        await h.Client.InFlightAsync(1);
        var ex = (await Assert.ThrowsAsync<GleitzeitException>(() => h.Engine.RetryAsync(id)))!;
        h.Client.Release();
        await h.Engine.WaitAsync(id);

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowStillRunning));
        Assert.That(ex.Message, Does.Contain("is running, not finished"));
    }

    [Test]
    public async Task An_unknown_run_is_not_found()
    {
        await using var h = new CostHarness();
        var ex = (await Assert.ThrowsAsync<GleitzeitException>(() => h.Engine.RetryAsync("wf-nope")))!;
        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
    }
}
