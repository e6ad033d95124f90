using System.Text.Json.Nodes;
using Gleitzeit.Core.Cost;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;

namespace Gleitzeit.Core.Tests.Cost;

public class BudgetStageTests
{
    [Test]
    public async Task Reached_mid_run_with_calls_in_flight_nothing_beyond_the_budget_starts()
    {
        await using var h = new CostHarness();
        h.Client.Hold = true;
        h.Client.PromptTokens = 10;
        h.Client.CompletionTokens = 20;
        // a and b hold 40 tokens each while in flight; c asks for 40 more while they run (gate waits for both): 120 > 100.
        // After a and b used 30 each, d (50) would make 110 > 100; e depends on d; f is no LLM task and runs.
        h.PythonBehaviour = async _ =>
        {
            await h.Client.InFlightAsync(2);
            return new JsonObject { ["result"] = "gate" };
        };
        var workflow = h.Load("""
            name: budgeted
            budget: { max_tokens: 100 }
            tasks:
              - { id: a, method: llm/chat, params: { prompt: a, max_tokens: 40 } }
              - { id: b, method: llm/chat, params: { prompt: b, max_tokens: 40 } }
              - { id: gate, method: python/execute, params: { value: 0 } }
              - { id: c, method: llm/chat, dependencies: [gate], params: { prompt: c, max_tokens: 40 } }
              - { id: d, method: llm/chat, dependencies: [a, b], params: { prompt: d, max_tokens: 50 } }
              - { id: e, method: llm/chat, dependencies: [d], params: { prompt: e } }
              - { id: f, method: python/execute, dependencies: [c], params: { value: 1 } }
            """);
        var cFailed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = h.Engine.RunAsync(workflow, new RunOptions { OnEvent = e => { if (e is TaskFailed { TaskId: "c" }) cFailed.TrySetResult(); } });
        await h.Client.InFlightAsync(2);
        await cFailed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var stillRunning = !running.IsCompleted;
        h.Client.Release();
        var run = await running;

        Assert.That(stillRunning, Is.True, "c failed while a and b were still in flight");
        Assert.That(h.Client.Prompts, Is.EquivalentTo(new[] { "a", "b" }), "no call beyond the budget reached the model");
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["c"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.BudgetExceeded));
        Assert.That(run.Tasks["d"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.BudgetExceeded));
        Assert.That(run.Tasks["d"].Error!.Message, Does.Contain("spent 60 tokens in 2 LLM calls"));
        Assert.That(run.Tasks["e"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["f"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped), "f depends on c, which failed");
        Assert.That(run.Tasks["a"].Result!["usage"]!["total_tokens"]!.GetValue<int>(), Is.EqualTo(30));
        Assert.That(run.Error!.Message, Does.Contain("BUDGET_EXCEEDED").And.Contain("spent"));
        Assert.That(run.Tasks["c"].Attempts, Is.EqualTo(1), "BUDGET_EXCEEDED is not retried");
    }

    [Test]
    public async Task Max_llm_calls_stops_the_third_call_and_the_run_fails_with_the_spend()
    {
        await using var h = new CostHarness();
        var workflow = h.Load("""
            name: calls
            budget: { max_llm_calls: 2 }
            tasks:
              - { id: one, method: llm/chat, params: { prompt: "1" } }
              - { id: two, method: llm/chat, dependencies: [one], params: { prompt: "2" } }
              - { id: three, method: llm/chat, dependencies: [two], params: { prompt: "3" } }
              - { id: after, method: python/execute, dependencies: [three], params: { value: 1 } }
            """);
        var run = await h.Engine.RunAsync(workflow);

        Assert.That(h.Client.Calls, Is.EqualTo(2));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["three"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.BudgetExceeded));
        Assert.That(run.Tasks["three"].Error!.Message, Does.Contain("60 tokens in 2 LLM calls").And.Contain("2 LLM calls"));
        Assert.That(run.Tasks["three"].Error!.Data!["llm_calls"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(run.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(GleitzeitErrorCode.BudgetExceeded.Name(), Is.EqualTo("BUDGET_EXCEEDED"));
        Assert.That((int)GleitzeitErrorCode.BudgetExceeded, Is.EqualTo(-28010));
    }

    [Test]
    public async Task RunOptions_budget_replaces_the_workflows_and_is_stored_with_the_run()
    {
        await using var h = new CostHarness();
        var workflow = h.Load("""
            name: options
            budget: { max_tokens: 1000000 }
            tasks:
              - { id: one, method: llm/chat, params: { prompt: "1" } }
              - { id: two, method: llm/chat, dependencies: [one], params: { prompt: "2" } }
            """);
        var run = await h.Engine.RunAsync(workflow, new RunOptions { Budget = new WorkflowBudget { MaxTokens = 30 } });

        Assert.That(run.Tasks["one"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Tasks["two"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.BudgetExceeded));
        Assert.That((await h.Engine.Store.GetRunAsync(run.WorkflowId))!.Workflow!.Budget!.MaxTokens, Is.EqualTo(30));
    }

    [Test]
    public async Task A_cache_hit_spends_nothing()
    {
        await using var h = new CostHarness();
        var workflow = h.Load("""
            name: hits
            budget: { max_llm_calls: 1 }
            cache: true
            tasks:
              - { id: one, method: llm/chat, params: { prompt: same } }
              - { id: two, method: llm/chat, dependencies: [one], params: { prompt: same } }
            """);
        var run = (await h.Engine.RunAsync(workflow)).EnsureSucceeded();

        Assert.That(run.Tasks["two"].Cached, Is.True);
        Assert.That(h.Client.Calls, Is.EqualTo(1));
    }

    [TestCase("budget: { max_tokens: 0 }", "'budget.max_tokens' must be a positive number of tokens, got 0", 2)]
    [TestCase("budget: { max_llm_calls: -3 }", "'budget.max_llm_calls' must be a positive number of LLM calls, got -3", 2)]
    [TestCase("budget: { max_tokens: lots }", "'budget.max_tokens' must be a whole number", 2)]
    [TestCase("budget: 100", "'budget' must be a mapping", 2)]
    [TestCase("budget: { max_token: 5 }", "did you mean 'max_tokens'", 2)]
    public void Bad_budgets_are_located_errors(string line, string message, int lineNumber)
    {
        var yaml = $$"""
            name: bad
            {{line}}
            tasks:
              - { id: ask, method: llm/chat, params: { prompt: hi } }
            """;
        var ex = Assert.Throws<WorkflowValidationException>(() => WorkflowLoader.Parse(yaml, sourceName: "bad.yaml"))!;
        Assert.That(ex.Errors.Select(e => e.Message), Has.Some.Contains(message));
        Assert.That(ex.Errors.First(e => e.Message.Contains(message, StringComparison.Ordinal)).Location?.Line, Is.EqualTo(lineNumber));
    }

    [Test]
    public async Task A_zero_budget_in_RunOptions_is_refused_before_anything_runs()
    {
        await using var h = new CostHarness();
        var workflow = h.Load("name: z\ntasks:\n  - { id: ask, method: llm/chat, params: { prompt: hi } }\n");
        var ex = (await Assert.ThrowsAsync<WorkflowValidationException>(() => h.Engine.RunAsync(workflow, new RunOptions { Budget = new WorkflowBudget { MaxTokens = 0 } })))!;
        Assert.That(ex.Errors.Single().Message, Does.Contain("max_tokens' must be a positive number"));
        Assert.That(h.Client.Calls, Is.Zero);
    }

    [Test]
    public async Task The_ledger_admits_atomically_under_concurrency()
    {
        var ledger = new InMemoryBudgetLedger();
        var budget = new WorkflowBudget { MaxTokens = 1000 };
        var admissions = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () => (await ledger.TryReserveAsync("r", budget, 100)).Admitted)));
        Assert.That(admissions.Count(a => a), Is.EqualTo(10));
        var spend = await ledger.GetSpendAsync("r");
        Assert.That(spend.ReservedTokens, Is.EqualTo(1000));
        Assert.That(spend.LlmCalls, Is.EqualTo(10));
    }
}
